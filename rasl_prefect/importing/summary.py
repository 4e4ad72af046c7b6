"""Dry run over a contact file: counts of accepted and rejected rows, without keeping rows."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rasl_prefect.importing.reader import open_contact_rows
from rasl_prefect.importing.rows import Consent, ContactRow

MAX_DEFAULT_WORKERS = 4
"""The most worker processes `scan_contact_file` starts when `workers` is not given."""


@dataclass(frozen=True, slots=True)
class ContactFileSummary:
    """Counts and details from a full read of a contact file.

    Attributes:
        source: The path or URL, without credentials or query string.
        encoding: The codec the file was read with.
        delimiter: The field delimiter.
        columns: Contact field to header, as in `ColumnMapping.as_dict()`.
        accepted: Rows accepted.
        rejected: Rows rejected, by `RejectionCode` value (such as "invalid_number").
        consent: Accepted rows by consent value ("yes", "no", "unknown").
        content_sha256: The SHA-256 of the file's bytes.
        seconds: Wall-clock time of the read, opening included.
    """

    source: str
    encoding: str
    delimiter: str
    columns: dict[str, str | list[str] | None]
    accepted: int
    rejected: dict[str, int] = field(default_factory=dict)
    consent: dict[str, int] = field(default_factory=dict)
    content_sha256: str = ""
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows read (accepted plus rejected; blank rows are not counted)."""
        return self.accepted + sum(self.rejected.values())

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall-clock time."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def scan_contact_file(
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
    workers: int | None = None,
) -> ContactFileSummary:
    """Read a whole contact file and count outcomes, keeping no rows: a dry run.

    The arguments are those of `open_contact_rows`. Memory stays flat apart from the
    deduplication index.

    Args:
        source: A local path or an fsspec URL.
        encoding: The file's codec, overriding detection.
        delimiter: The field delimiter, overriding detection.
        column_map: Contact field to header, overriding detection.
        default_region: The region for numbers without a country code, such as "SA".
        template_fields: Headers whose cells are template parameters.
        consent_column: The header of the consent column, overriding detection.
        deduplicate: Reject later rows with a number seen before.
        require_template_fields: Reject rows whose template field cell is empty.
        workers: Processes that validate phone numbers (see `open_contact_rows`). None uses
            one per CPU, at most `MAX_DEFAULT_WORKERS`.

    Returns:
        The counts, the content hash and the time taken.

    Raises:
        ContactFileError: As `open_contact_rows` does, also for undecodable bytes found later.
    """
    if workers is None:
        workers = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
    started = time.perf_counter()
    consent: Counter[Consent] = Counter()

    with open_contact_rows(
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
    ) as reader:
        for item in reader:
            if type(item) is ContactRow:
                consent[item.consent] += 1

        return ContactFileSummary(
            source=reader.source,
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            columns=reader.columns.as_dict(),
            accepted=reader.accepted_count,
            rejected={code.value: count for code, count in reader.rejected_counts.items()},
            consent={value.value: count for value, count in consent.items()},
            content_sha256=reader.content_sha256 or "",
            seconds=time.perf_counter() - started,
        )
