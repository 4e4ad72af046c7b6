"""Decoding a byte stream into physical lines for `csv.reader`, with bounded memory."""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable, Iterator
from typing import BinaryIO

from rasl_prefect.importing.encoding import DetectedEncoding
from rasl_prefect.importing.errors import ContactFileDecodeError, ContactFileError
from rasl_prefect.importing.source import READ_CHUNK_BYTES

# Only CR, LF and CRLF end a CSV line. `str.splitlines` also splits at these characters,
# which are data inside a cell, so it is used only for chunks that contain none of them.
_OTHER_LINE_BOUNDARIES = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")

MAX_RECORD_BYTES = 1 << 20
"""The maximum length of a record (one row, including quoted line breaks) in bytes. The check
runs per 64 KiB chunk, so a record may exceed it by up to one chunk before the error."""


class LineSource:
    """Iterate the decoded physical lines of a file, each with its line break kept.

    Reading is streamed in 64 KiB chunks. The SHA-256 of every byte read is kept in `digest`.
    A record (from the reader's last `start_record` call) or a single line longer than
    `MAX_RECORD_BYTES` raises `ContactFileError`, which bounds memory whatever the input.
    `csv.reader.line_num` counts the lines; this class does not, to keep the loop cheap.

    Attributes:
        digest: The running SHA-256 of the file's bytes.
        current_line: Returns the number of lines the reader has consumed; decoding errors
            report the line after it.
        finished: True once the last byte has been read.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        first_chunk: bytes,
        encoding: DetectedEncoding,
        source: str,
    ) -> None:
        self._stream = stream
        self._first_chunk = first_chunk
        self._encoding = encoding
        self._source = source
        self._chunks_read = 0
        self._record_first_chunk = 0
        self._record_line = 1
        self.current_line: Callable[[], int] = lambda: 0
        self.digest = hashlib.sha256()
        self.finished = False

    def start_record(self, line: int) -> None:
        """Mark the start of a record (on physical line `line`) for the record length limit."""
        self._record_first_chunk = self._chunks_read
        self._record_line = line

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self._encoding.name)(errors="strict")
        chunk = self._first_chunk
        chunk_offset = 0
        skip = self._encoding.bom_length
        pending = ""
        max_chunks = MAX_RECORD_BYTES // READ_CHUNK_BYTES

        while True:
            final = not chunk
            self.digest.update(chunk)
            text = pending + self._decode(
                decoder, chunk[skip:], chunk_offset + skip, final, pending
            )
            chunk_offset += len(chunk)
            skip = 0

            # The last line waits for the next chunk unless it is complete. A line ending in
            # CR waits too, because the LF of a CRLF may start the next chunk.
            lines = _split_lines(text)
            pending = ""
            if lines and not final and lines[-1][-1] != "\n":
                pending = lines.pop()
            yield from lines

            if final:
                break
            if (
                len(pending) > MAX_RECORD_BYTES
                or self._chunks_read - self._record_first_chunk > max_chunks
            ):
                self._raise_too_long()
            chunk = self._stream.read(READ_CHUNK_BYTES)
            self._chunks_read += 1

        self.finished = True

    def _raise_too_long(self) -> None:
        raise self.too_long_error()

    def too_long_error(self) -> ContactFileError:
        """Return the error for a record over `MAX_RECORD_BYTES`, naming the line it starts on."""
        return ContactFileError(
            f"{self._source}: the row starting on line {self._record_line} is longer than "
            f"{MAX_RECORD_BYTES:,} bytes. An unclosed quote is the usual cause; "
            "otherwise the file is not a contact export",
            source=self._source,
            line=self._record_line,
        )

    def _decode(
        self,
        decoder: codecs.IncrementalDecoder,
        data: bytes,
        data_offset: int,
        final: bool,
        pending: str,
    ) -> str:
        buffered = len(decoder.getstate()[0])
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError as error:
            offset = data_offset - buffered + error.start
            # Count the line breaks between the reader's position and the invalid byte.
            decoded_before = pending + data[: error.start].decode(self._encoding.name, "replace")
            line = self.current_line() + 1 + len(_LINE_BREAK.findall(decoded_before))
            name = self._encoding.name
            raise ContactFileDecodeError(
                f"cannot decode {self._source} as {name}: invalid byte "
                f"{error.object[error.start : error.start + 1]!r} at byte offset {offset} "
                f"(line {line}). Pass the file's real encoding, "
                "for example encoding='cp1256' for Arabic Excel or encoding='cp1252' for "
                "Western Excel",
                source=self._source,
                encoding=name,
                byte_offset=offset,
                line=line,
            ) from error


def _split_lines(text: str) -> list[str]:
    if not _OTHER_LINE_BOUNDARIES.search(text):
        return text.splitlines(keepends=True)
    parts = _LINE_BREAK.split(text)
    lines = [parts[index] + parts[index + 1] for index in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
