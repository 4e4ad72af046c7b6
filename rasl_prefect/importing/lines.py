"""Decoding a byte stream into physical lines for `csv.reader`, with bounded memory."""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from typing import BinaryIO

from rasl_prefect.importing.encoding import DetectedEncoding
from rasl_prefect.importing.errors import ContactFileDecodeError, ContactFileError
from rasl_prefect.importing.source import READ_CHUNK_BYTES

# Only CR, LF and CRLF end a line: `str.splitlines` would also split inside cells at
# U+2028, U+0085, form feeds and other separators that are data in a CSV file.
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")

MAX_RECORD_CHARS = 1 << 20
"""The longest record (one row, including quoted line breaks) the reader accepts, in characters."""


class LineSource:
    """Iterate the decoded physical lines of a file, each with its line break kept.

    Reading is streamed in 64 KiB chunks. The SHA-256 of every byte read is kept in `digest`.
    A record (the lines fed since the reader last called `start_record`) longer than
    `MAX_RECORD_CHARS` raises `ContactFileError`, which bounds memory whatever the input.

    Attributes:
        lines_read: The number of physical lines yielded so far.
        digest: The running SHA-256 of the file's bytes.
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
        self._record_chars = 0
        self._record_start = 1
        self.lines_read = 0
        self.digest = hashlib.sha256()
        self.finished = False

    def start_record(self) -> None:
        """Mark the start of a new record for the record length limit."""
        self._record_chars = 0
        self._record_start = self.lines_read + 1

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self._encoding.name)(errors="strict")
        chunk = self._first_chunk
        chunk_offset = 0
        skip = self._encoding.bom_length
        pending = ""

        while True:
            final = not chunk
            self.digest.update(chunk)
            text = pending + self._decode(decoder, chunk[skip:], chunk_offset + skip, final)
            chunk_offset += len(chunk)
            skip = 0

            # A CR at the end of a chunk may be the first half of a CRLF.
            carry = ""
            if not final and text.endswith("\r"):
                text, carry = text[:-1], "\r"

            parts = _LINE_BREAK.split(text)
            pending = parts[-1] + carry
            for index in range(0, len(parts) - 1, 2):
                line = parts[index] + parts[index + 1]
                self._count(line)
                yield line

            if len(pending) > MAX_RECORD_CHARS:
                self._raise_too_long()
            if final:
                break
            chunk = self._stream.read(READ_CHUNK_BYTES)

        if pending:
            self._count(pending)
            yield pending
        self.finished = True

    def _count(self, line: str) -> None:
        self.lines_read += 1
        self._record_chars += len(line)
        if self._record_chars > MAX_RECORD_CHARS:
            self._raise_too_long()

    def _raise_too_long(self) -> None:
        raise ContactFileError(
            f"{self._source}: the row starting on line {self._record_start} is longer than "
            f"{MAX_RECORD_CHARS:,} characters. An unclosed quote is the usual cause; "
            "otherwise the file is not a contact export",
            source=self._source,
            line=self._record_start,
        )

    def _decode(
        self, decoder: codecs.IncrementalDecoder, data: bytes, data_offset: int, final: bool
    ) -> str:
        buffered = len(decoder.getstate()[0])
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError as error:
            offset = data_offset - buffered + error.start
            name = self._encoding.name
            raise ContactFileDecodeError(
                f"cannot decode {self._source} as {name}: invalid byte "
                f"{error.object[error.start : error.start + 1]!r} at byte offset {offset} "
                f"(line {self.lines_read + 1}). Pass the file's real encoding, for example "
                "encoding='cp1256' for Arabic Excel or encoding='cp1252' for Western Excel",
                source=self._source,
                encoding=name,
                byte_offset=offset,
                line=self.lines_read + 1,
            ) from error
