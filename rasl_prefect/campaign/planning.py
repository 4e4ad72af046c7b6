"""Turning the rows of a contact file into campaign chunks, counting what is rejected."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

from rasl_prefect.campaign.preflight import MERGE_FIELDS, is_merge_field
from rasl_prefect.campaign.report import CsvImportReport, RejectedRowReport
from rasl_prefect.campaign.tasks import ChunkContact, ContactChunk
from rasl_prefect.importing import (
    Consent,
    ContactFileReader,
    ContactRow,
    RejectionCode,
    normalize_template_value,
)
from rasl_prefect.importing.source import open_binary
from rasl_prefect.logging import mask_phone

MERGE_FIELD_LABELS = {
    "firstname": "first name",
    "lastname": "last name",
    "email": "e-mail address",
    "phone": "phone",
}


def file_columns(template_fields: Sequence[str]) -> list[str]:
    """Return the template fields that name file columns, leaving out RASL merge fields."""
    return [field for field in template_fields if not is_merge_field(field)]


def shard_of(phone: str, shard_count: int) -> int:
    """Return the shard, from 0 to `shard_count - 1`, that an E.164 phone number belongs to.

    The shard comes from a SHA-256 of the number, so it is the same in every process and
    every run (Python's `hash()` of a string changes between processes).
    """
    digest = hashlib.sha256(phone.encode("ascii", "ignore")).digest()
    return int.from_bytes(digest[:8], "big") % shard_count


def check_shard(shard_index: int, shard_count: int) -> None:
    """Raise ValueError unless `shard_index` names one of `shard_count` shards."""
    if shard_count < 1:
        raise ValueError(f"shard_count={shard_count} is invalid: use 1 or more shards.")
    if not 0 <= shard_index < shard_count:
        raise ValueError(
            f"shard_index={shard_index} is invalid for shard_count={shard_count}: "
            f"use 0 to {shard_count - 1}."
        )


def iter_contact_chunks(
    reader: ContactFileReader,
    report: CsvImportReport,
    *,
    template_fields: Sequence[str],
    batch_size: int,
    consent_required: bool,
    shard_index: int = 0,
    shard_count: int = 1,
) -> Iterator[ContactChunk]:
    """Yield chunks of at most `batch_size` accepted contacts, counting every row in `report`.

    With several shards, every shard reads the whole file (so duplicates are found the same
    way in each) and keeps the rows whose phone hashes to `shard_index`. Rows of other shards
    are skipped without being counted. Rejected rows have no usable phone, so shard 0 alone
    counts and reports them, and the shards' reports add up to the whole file.

    Args:
        reader: An open contact file reader.
        report: The report that counts rows read, rejected and duplicated.
        template_fields: Column names or RASL merge fields, in template parameter order.
        batch_size: Contacts per chunk.
        consent_required: Message only rows whose consent column means yes.
        shard_index: The shard to keep, from 0 to `shard_count - 1`.
        shard_count: The number of shards the campaign is split into.

    Yields:
        Chunks numbered from 0, each with the contacts' template parameters resolved.
    """
    check_shard(shard_index, shard_count)
    pending: list[ChunkContact] = []
    index = 0

    for row in reader:
        if not isinstance(row, ContactRow):
            if shard_index != 0:
                continue
            report.rows_read += 1
            rejected = RejectedRowReport(
                line_number=row.line, reason=row.reason, masked_phone=row.masked_phone
            )
            report.add_rejected(rejected, duplicate=row.code == RejectionCode.DUPLICATE)
            continue

        if shard_count > 1 and shard_of(row.phone, shard_count) != shard_index:
            continue
        report.rows_read += 1

        contact = _chunk_contact(row, report, template_fields, consent_required)
        if contact is None:
            continue
        report.rows_accepted += 1
        pending.append(contact)

        if len(pending) >= batch_size:
            yield ContactChunk(index=index, contacts=pending)
            index += 1
            pending = []

    if pending:
        yield ContactChunk(index=index, contacts=pending)


def _chunk_contact(
    row: ContactRow,
    report: CsvImportReport,
    template_fields: Sequence[str],
    consent_required: bool,
) -> ChunkContact | None:
    for note in row.notes:
        report.phone_notes[note] = report.phone_notes.get(note, 0) + 1

    parameters: list[str] = []
    for field in template_fields:
        if is_merge_field(field):
            attribute = MERGE_FIELDS[field]
            if not getattr(row, attribute):
                reason = (
                    f"template field {field} would be empty: the row has no "
                    f"{MERGE_FIELD_LABELS[attribute]}"
                )
                report.add_rejected(
                    RejectedRowReport(
                        line_number=row.line, reason=reason, masked_phone=mask_phone(row.phone)
                    )
                )
                return None
            parameters.append(field)
            continue

        normalized = normalize_template_value(row.fields.get(field, ""))
        if normalized.changed:
            report.template_values_normalized += 1
        parameters.append(normalized.text)

    return ChunkContact(
        line_number=row.line,
        phone=row.phone,
        firstname=row.firstname,
        lastname=row.lastname,
        email=row.email,
        company=row.company,
        parameters=parameters,
        consented=row.consent == Consent.YES or not consent_required,
    )


def fingerprint_file(source: str) -> tuple[str, int]:
    """Return the SHA-256 of a contact file's bytes and its number of line breaks, streaming.

    The hash makes a stable default campaign id; the line count estimates progress.
    """
    digest = hashlib.sha256()
    line_breaks = 0
    with open_binary(source) as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            line_breaks += chunk.count(b"\n") or chunk.count(b"\r")
    return digest.hexdigest(), line_breaks
