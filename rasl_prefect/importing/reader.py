"""Streaming reader of contact exports: rows in, accepted `ContactRow`s or `RejectedRow`s out."""

from __future__ import annotations

import codecs
import csv
import gc
import itertools
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import BinaryIO

import phonenumbers

from rasl_prefect.importing.columns import (
    ColumnMapError,
    ColumnMapping,
    PhoneColumn,
    detect_columns,
    row_phone_order,
)
from rasl_prefect.importing.dedupe import PhoneIndex
from rasl_prefect.importing.dialect import detect_delimiter
from rasl_prefect.importing.encoding import (
    DetectedEncoding,
    EncodingNotDetectedError,
    detect_encoding,
)
from rasl_prefect.importing.errors import ContactFileError
from rasl_prefect.importing.lines import MAX_RECORD_BYTES, LineSource
from rasl_prefect.importing.phones import (
    PhoneResult,
    choose_phone,
    choose_phones,
    clean_phone_text,
)
from rasl_prefect.importing.rows import Consent, ContactRow, RejectedRow, RejectionCode
from rasl_prefect.importing.source import describe_source, open_binary
from rasl_prefect.importing.values import (
    find_empty_template_field,
    parse_consent,
    split_full_name,
    strip_apostrophe_escape,
)
from rasl_prefect.logging import get_logger, mask_phone

SAMPLE_BYTES = 1 << 16
"""How many bytes of the file's start are used to detect its encoding and delimiter."""

# A masked phone keeps the last 4 digits of at most this many characters of the cell.
_MASK_INPUT_CHARS = 64


class ContactFileReader:
    """An open contact export, iterated once as `ContactRow` and `RejectedRow` items.

    Create it with `open_contact_rows`. The encoding, delimiter and column mapping are
    detected when the file is opened and are available before iterating. Rows are read in
    a stream, so memory stays flat whatever the file size, apart from the deduplication
    index (about 24 to 48 bytes per distinct number).

    Line numbers are physical line numbers (1-based, the header is line 1) of the line where
    a row starts, so a person can find the row in an editor. A quoted cell with line breaks
    makes its row span several lines. Blank rows (every cell empty) are skipped.

    Attributes:
        source: The path or URL, without credentials or query string.
        encoding: The codec the file is read with, such as "utf-8-sig" or "cp1256".
        delimiter: The field delimiter: ",", ";" or "\\t" when detected.
        columns: Which file column became which contact field.
        accepted_count: Rows accepted so far.
        rejected_counts: Rows rejected so far, by rejection code (duplicates included).
        content_sha256: The SHA-256 of the file's bytes, set once every row has been read.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        *,
        encoding: str | None = None,
        delimiter: str | None = None,
        column_map: Mapping[str, str | Sequence[str]] | None = None,
        default_region: str | None = None,
        template_fields: Sequence[str] = (),
        consent_column: str | None = None,
        deduplicate: bool = True,
        require_template_fields: bool = True,
        workers: int = 1,
    ) -> None:
        self.source = describe_source(source)
        if workers < 1:
            raise ValueError(f"workers must be 1 or more, not {workers}")
        self._workers = workers
        self._default_region = _check_region(default_region)
        if delimiter is not None and len(delimiter) != 1:
            raise ValueError(f"delimiter must be one character, such as ';', not {delimiter!r}")
        if isinstance(template_fields, str):
            raise ValueError(
                "template_fields must be a list of column names, "
                f"not the string {template_fields!r}"
            )
        self._deduplicate = deduplicate
        self._require_template_fields = require_template_fields
        self._phone_index = PhoneIndex()
        self._started = False
        self.accepted_count = 0
        self.rejected_counts: Counter[RejectionCode] = Counter()
        self.content_sha256: str | None = None

        self._stream: BinaryIO = open_binary(source)
        try:
            self._open(encoding, delimiter, column_map, template_fields, consent_column)
        except BaseException:
            self._stream.close()
            raise

    def _open(
        self,
        encoding: str | None,
        delimiter: str | None,
        column_map: Mapping[str, str | Sequence[str]] | None,
        template_fields: Sequence[str],
        consent_column: str | None,
    ) -> None:
        sample = _read_sample(self._stream)
        if not sample:
            raise ContactFileError(f"contact file is empty: {self.source}", source=self.source)

        detected = self._choose_encoding(sample, encoding)
        self.encoding = detected.name
        sample_text = sample[detected.bom_length :].decode(detected.name, errors="replace")
        self.delimiter = delimiter or detect_delimiter(sample_text)

        if csv.field_size_limit() < MAX_RECORD_BYTES:
            # The default limit (131,072 characters) would reject long notes cells. The
            # setting is process-wide; it is only ever raised here.
            csv.field_size_limit(MAX_RECORD_BYTES)
        self._lines = LineSource(
            self._stream, first_chunk=sample, encoding=detected, source=self.source
        )
        self._rows = csv.reader(iter(self._lines), delimiter=self.delimiter, strict=True)
        rows = self._rows
        self._lines.current_line = lambda: rows.line_num

        headers = self._read_header()
        try:
            self.columns: ColumnMapping = detect_columns(
                headers,
                column_map=column_map,
                template_fields=template_fields,
                consent_column=consent_column,
            )
        except ColumnMapError as error:
            raise ContactFileError(f"{self.source}: {error}", source=self.source) from error
        self._prepare_indexes()

        get_logger().info(
            "Opened contact file %s: encoding %s, delimiter %r, %d columns, phone columns %s",
            self.source,
            self.encoding,
            self.delimiter,
            len(headers),
            [column.header for column in self.columns.phone],
        )

    def _choose_encoding(self, sample: bytes, encoding: str | None) -> DetectedEncoding:
        if encoding is not None:
            try:
                return DetectedEncoding(codecs.lookup(encoding).name)
            except LookupError as error:
                raise ValueError(
                    f"unknown encoding {encoding!r}: use a Python codec name such as "
                    "'utf-8', 'cp1256' or 'utf-16'"
                ) from error
        try:
            return detect_encoding(sample)
        except EncodingNotDetectedError as error:
            raise ContactFileError(
                f"cannot read {self.source}: {error}. If it is a text export, pass encoding=",
                source=self.source,
            ) from error

    def _read_header(self) -> list[str]:
        while True:
            self._lines.start_record(self._rows.line_num + 1)
            try:
                row = next(self._rows)
            except StopIteration:
                raise ContactFileError(
                    f"contact file has no header row: {self.source}", source=self.source
                ) from None
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    raise self._lines.too_long_error() from error
                raise ContactFileError(
                    f"cannot read the header row of {self.source}: {error}", source=self.source
                ) from error
            if any(cell.strip() for cell in row):
                break
        headers = [cell.strip() for cell in row]
        headers[0] = headers[0].lstrip("\ufeff").strip()
        return headers

    def _prepare_indexes(self) -> None:
        columns = self.columns
        self._width = len(columns.headers)
        self._firstname_index = columns.index_of(columns.firstname)
        self._lastname_index = columns.index_of(columns.lastname)
        self._name_index = columns.index_of(columns.name)
        self._company_index = columns.index_of(columns.company)
        self._consent_index = columns.index_of(columns.consent)
        self._country_index = columns.index_of(columns.country)
        self._email_indexes = [columns.headers.index(header) for header in columns.email]
        self._field_indexes = {
            name: columns.headers.index(header) for name, header in columns.template_fields.items()
        }
        self._has_phone_labels = any(column.label_index is not None for column in columns.phone)

    def __enter__(self) -> ContactFileReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying file. Iterating to the end closes it too."""
        self._stream.close()

    @property
    def duplicate_count(self) -> int:
        """Rows rejected as duplicates of an earlier row so far."""
        return self.rejected_counts[RejectionCode.DUPLICATE]

    def __iter__(self) -> Iterator[ContactRow | RejectedRow]:
        if self._started:
            raise RuntimeError(
                f"the reader of {self.source} was already iterated; open the file again"
            )
        self._started = True
        try:
            yield from self._iterate()
        finally:
            self.close()

    def _iterate(self) -> Iterator[ContactRow | RejectedRow]:
        records = self._records()
        if self._workers > 1 and _can_fork():
            # Small files never pay for starting worker processes.
            first_rows = itertools.islice(records, PARALLEL_AFTER_ROWS)
            results: Iterator[ContactRow | RejectedRow | None] = itertools.chain(
                (self._convert_record(record) for record in first_rows),
                self._convert_in_workers(records),
            )
        else:
            results = (self._convert_record(record) for record in records)
        rejected_counts = self.rejected_counts
        for item in results:
            if item is None:
                continue
            if type(item) is ContactRow:
                self.accepted_count += 1
            else:
                assert isinstance(item, RejectedRow)
                rejected_counts[item.code] += 1
            yield item

        self.content_sha256 = self._lines.digest.hexdigest()
        get_logger().info(
            "Read contact file %s: %d lines, %d accepted, %d rejected (%d duplicates)",
            self.source,
            self._rows.line_num,
            self.accepted_count,
            sum(self.rejected_counts.values()),
            self.duplicate_count,
        )

    def _records(self) -> Iterator[_Record]:
        rows = self._rows
        lines = self._lines
        while True:
            line = rows.line_num + 1
            lines.start_record(line)
            try:
                cells = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                if "field larger than field limit" in str(error):
                    raise lines.too_long_error() from error
                yield line, self._reject_malformed(line, error)
                continue
            if any(cells):
                yield line, cells

    def _reject_malformed(self, line: int, error: csv.Error) -> RejectedRow:
        last_line = self._rows.line_num
        if "unexpected end of data" in str(error):
            reason = (
                f"unclosed quote: the row starting on line {line} runs to the end of the file "
                f"(line {last_line}), so the lines after it were read as one cell"
            )
        else:
            reason = f"malformed CSV on line {last_line}: {error}"
        return RejectedRow(line=line, code=RejectionCode.MALFORMED_ROW, reason=reason)

    def _convert_record(self, record: _Record) -> ContactRow | RejectedRow | None:
        line, cells = record
        if isinstance(cells, RejectedRow):
            return cells
        region, columns = self._phone_job(cells)
        choice = choose_phone([cells[column.index] for column in columns], region)
        return self._convert(line, cells, columns, choice)

    def _convert_in_workers(
        self, records: Iterator[_Record]
    ) -> Iterator[ContactRow | RejectedRow | None]:
        # Phone validation (about 10 µs per number) runs in forked workers, batch by batch,
        # while this process parses CSV, deduplicates and builds rows, in file order.
        # NOTE: fork copies the locks of the parent's other threads. The workers only run
        # phonenumbers code, which takes none, but Python 3.12+ warns when a process with
        # threads forks.
        context = multiprocessing.get_context("fork")
        in_flight: deque[tuple[list[_Job], Future[list[tuple[int, PhoneResult] | None]]]]
        in_flight = deque()
        exhausted = False
        # A worker inherits every object of this process (Prefect included). gc.freeze keeps
        # the garbage collector from traversing them on each full collection, which made
        # unpickling a batch about 15 times slower in a measured run.
        with ProcessPoolExecutor(
            max_workers=self._workers, mp_context=context, initializer=gc.freeze
        ) as pool:
            try:
                while True:
                    while not exhausted and len(in_flight) < self._workers * 2:
                        batch = self._next_batch(records)
                        if not batch:
                            exhausted = True
                            break
                        payload = [
                            ([cells[column.index] for column in columns], region)
                            for _, cells, columns, region in batch
                            if not isinstance(cells, RejectedRow)
                        ]
                        in_flight.append((batch, pool.submit(choose_phones, payload)))
                    if not in_flight:
                        return

                    batch, future = in_flight.popleft()
                    choices = iter(future.result())
                    for line, cells, columns, _ in batch:
                        if isinstance(cells, RejectedRow):
                            yield cells
                        else:
                            yield self._convert(line, cells, columns, next(choices))
            finally:
                for _, future in in_flight:
                    future.cancel()

    def _next_batch(self, records: Iterator[_Record]) -> list[_Job]:
        batch: list[_Job] = []
        for line, cells in itertools.islice(records, _BATCH_ROWS):
            if isinstance(cells, RejectedRow):
                batch.append((line, cells, (), None))
            else:
                region, columns = self._phone_job(cells)
                batch.append((line, cells, columns, region))
        return batch

    def _phone_job(self, cells: list[str]) -> tuple[str | None, tuple[PhoneColumn, ...]]:
        if len(cells) < self._width:
            cells.extend([""] * (self._width - len(cells)))

        region = self._default_region
        if self._country_index is not None:
            country = cells[self._country_index].strip().upper()
            if country in phonenumbers.SUPPORTED_REGIONS:
                region = country

        if self._has_phone_labels:
            return region, row_phone_order(self.columns, cells)
        return region, self.columns.phone

    def _convert(
        self,
        line: int,
        cells: list[str],
        columns: tuple[PhoneColumn, ...],
        choice: tuple[int, PhoneResult] | None,
    ) -> ContactRow | RejectedRow | None:
        if choice is None:
            if not "".join(cells).strip():
                return None
            return RejectedRow(line, RejectionCode.EMPTY_PHONE, "empty phone")

        position, result = choice
        if result.e164 is None:
            assert result.code is not None
            return RejectedRow(
                line, result.code, result.reason, _mask(cells[columns[position].index])
            )

        phone_column = columns[position].header
        fields = {}
        if self._field_indexes:
            fields = {
                name: strip_apostrophe_escape(cells[index])
                for name, index in self._field_indexes.items()
            }
        if self._require_template_fields and fields:
            empty = find_empty_template_field(fields)
            if empty is not None:
                return RejectedRow(
                    line,
                    RejectionCode.EMPTY_TEMPLATE_FIELD,
                    f"empty template field {empty!r}",
                    mask_phone(result.e164),
                )

        if self._deduplicate:
            first_line = self._phone_index.add(result.e164, line)
            if first_line is not None:
                return RejectedRow(
                    line,
                    RejectionCode.DUPLICATE,
                    f"duplicate of line {first_line}",
                    mask_phone(result.e164),
                    duplicate_of_line=first_line,
                )

        firstname = self._text(cells, self._firstname_index)
        lastname = self._text(cells, self._lastname_index)
        if not firstname and not lastname and self._name_index is not None:
            firstname, lastname = split_full_name(self._text(cells, self._name_index))
        email = ""
        for index in self._email_indexes:
            email = cells[index].strip()
            if email:
                break
        consent = (
            parse_consent(cells[self._consent_index])
            if self._consent_index is not None
            else Consent.UNKNOWN
        )
        return ContactRow(
            line=line,
            phone=result.e164,
            firstname=firstname,
            lastname=lastname,
            email=email,
            company=self._text(cells, self._company_index),
            fields=fields,
            consent=consent,
            notes=result.notes,
            phone_column=phone_column,
        )

    @staticmethod
    def _text(cells: list[str], index: int | None) -> str:
        if index is None:
            return ""
        text = cells[index].strip()
        if text[:1] == "'":
            return strip_apostrophe_escape(text)
        return text


def open_contact_rows(
    source: str | os.PathLike[str],
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: Mapping[str, str | Sequence[str]] | None = None,
    default_region: str | None = None,
    template_fields: Sequence[str] = (),
    consent_column: str | None = None,
    deduplicate: bool = True,
    require_template_fields: bool = True,
    workers: int = 1,
) -> ContactFileReader:
    """Open a contact export and detect its encoding, delimiter and columns.

    Iterate the returned reader (once) for a `ContactRow` or `RejectedRow` per non-blank row.

    Example:
        ```python
        from rasl_prefect.importing import ContactRow, open_contact_rows

        with open_contact_rows("contacts.csv", default_region="SA") as reader:
            print(reader.encoding, reader.delimiter, reader.columns.as_dict())
            for item in reader:
                if isinstance(item, ContactRow):
                    print(item.line, item.phone)
                else:
                    print(item.line, item.reason)
        ```

    Args:
        source: A local path or an fsspec URL (`file://`, `memory://`, `s3://`, `gs://`,
            `https://`...). `s3://` needs s3fs, `gs://` gcsfs and `https://` aiohttp.
        encoding: The file's codec, overriding detection (UTF-8 with or without BOM, UTF-16
            with BOM, Windows-1256 and Windows-1252 are detected).
        delimiter: The field delimiter, overriding detection of ",", ";" and tab.
        column_map: Contact field to header, overriding detection, such as
            `{"phone": "Cell", "firstname": "Given"}`; see `CONTACT_FIELDS`.
        default_region: The ISO 3166-1 alpha-2 region (such as "SA") for numbers without a
            country code. A row's two-letter country column, when present, takes precedence.
        template_fields: Headers whose cells are kept in `ContactRow.fields`.
        consent_column: The header of the consent column, overriding detection.
        deduplicate: Reject later rows whose number an earlier accepted row already has.
        require_template_fields: Reject rows whose template field cell is empty.
        workers: Processes that validate phone numbers. Above 1, once
            `PARALLEL_AFTER_ROWS` rows have been read, that many forked workers validate
            numbers in batches of 2,000 rows while this process parses the CSV. Where fork
            is unavailable (Windows) the reader stays in one process.

    Returns:
        The open reader; use it as a context manager or iterate it to the end to close it.

    Raises:
        ContactFileError: When the file cannot be opened or decoded, is empty, has no header
            row or no phone column, or a named column is missing. `ContactFileDecodeError`
            (a subclass) carries the byte offset of undecodable bytes; it is raised while
            iterating when they come after the 64 KiB sample.
        ValueError: When `encoding`, `delimiter`, `default_region` or `template_fields` is
            not a valid value.
    """
    return ContactFileReader(
        source,
        encoding=encoding,
        delimiter=delimiter,
        column_map=column_map,
        default_region=default_region,
        template_fields=template_fields,
        consent_column=consent_column,
        deduplicate=deduplicate,
        require_template_fields=require_template_fields,
        workers=workers,
    )


def _read_sample(stream: BinaryIO) -> bytes:
    # Network streams may return fewer bytes than requested before the end of the file.
    sample = b""
    while len(sample) < SAMPLE_BYTES:
        chunk = stream.read(SAMPLE_BYTES - len(sample))
        if not chunk:
            break
        sample += chunk
    return sample


def _check_region(region: str | None) -> str | None:
    if region is None:
        return None
    upper = region.strip().upper()
    if upper not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"default_region {region!r} is not a region phonenumbers knows: use a two-letter "
            "ISO 3166-1 code such as 'SA', 'AE' or 'EG'"
        )
    return upper


def _mask(cell: str) -> str:
    return mask_phone(clean_phone_text(cell[:_MASK_INPUT_CHARS]))


_Record = tuple[int, "list[str] | RejectedRow"]
_Job = tuple[int, "list[str] | RejectedRow", tuple[PhoneColumn, ...], "str | None"]

PARALLEL_AFTER_ROWS = 20_000
"""Rows read in-process before worker processes start, when `workers` is above 1."""

_BATCH_ROWS = 2_000


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()
