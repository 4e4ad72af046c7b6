"""Delete contacts chosen by a filter or listed in a file of ids, after a dry run by default."""

from __future__ import annotations

import re
from typing import Annotated, Literal, cast

import fsspec
from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.models import Contact
from rasl_prefect.tasks import batch_delete_contacts, list_contacts

DELETE_BATCH_SIZE = 100
"""Ids per Batch Delete request; RASL's batch endpoints take at most 100."""

MAX_LISTED_CONTACTS = 1000
"""Contacts listed one by one in the result and the artifact; the counts stay exact."""


class CleanupContact(BaseModel):
    """A contact chosen for deletion, without personal data beyond a masked phone."""

    id: int = Field(description="The RASL contact id.")
    masked_phone: str = Field(description="The phone with all but its last 4 digits masked.")
    type: str | None = Field(default=None, description="`lead`, `customer` or `guest`.")
    opted_out: bool | None = Field(default=None, description="Whether the contact opted out.")


class ContactsCleanupReport(BaseModel):
    """The contacts chosen and, unless it was a dry run, what the deletes did."""

    dry_run: bool = Field(description="True when nothing was deleted.")
    selection: str = Field(description="How the contacts were chosen.")
    selected: int = Field(default=0, description="Contacts chosen for deletion.")
    deleted: int = Field(default=0, description="Contacts RASL reported as deleted.")
    failed: int = Field(default=0, description="Ids RASL reported as failed.")
    batches: int = Field(default=0, description="Batch Delete requests sent.")
    ids_not_found: list[int] = Field(
        default_factory=list, description="Ids of the file that match no contact."
    )
    contacts: list[CleanupContact] = Field(
        default_factory=list, description="The chosen contacts, up to 1000."
    )


def read_contact_ids(source: str) -> list[int]:
    """Read contact ids from a local file or fsspec URL, one or more per line.

    Ids may be separated by commas, semicolons or spaces. Blank lines, `#` comments and a
    first line without digits (a header such as `id`) are skipped. Repeated ids count once.

    Raises:
        ValueError: A value is not a positive whole number; the message names its line.
    """
    ids: dict[int, None] = {}
    with fsspec.open(source, "rt", encoding="utf-8-sig") as file:
        for number, line in enumerate(file, start=1):
            content = line.split("#", 1)[0].strip()
            if not content or (number == 1 and not any(c.isdigit() for c in content)):
                continue
            for value in re.split(r"[,;\s]+", content):
                if not value:
                    continue
                if not value.isdigit() or int(value) == 0:
                    raise ValueError(
                        f"{source}, line {number}: {value!r} is not a contact id; write "
                        "positive whole numbers, one or more per line."
                    )
                ids[int(value)] = None
    return list(ids)


def describe_selection(
    opted_out: bool, group_id: int | None, contact_type: str | None, ids_file: str | None
) -> str:
    """Describe the chosen criteria in words for the report."""
    if ids_file:
        return f"ids listed in {ids_file}"
    parts = []
    if opted_out:
        parts.append("opted out")
    if group_id is not None:
        parts.append(f"in group {group_id}")
    if contact_type:
        parts.append(f"of type {contact_type}")
    return "contacts " + ", ".join(parts)


@flow(
    name="contacts-cleanup",
    description="Delete contacts chosen by a filter or a file of ids; a dry run by default.",
)
def contacts_cleanup(
    credentials: RaslCredentials,
    dry_run: bool = True,
    opted_out: bool = False,
    group_id: Annotated[int | None, Field(ge=1)] = None,
    contact_type: Literal["lead", "customer", "guest"] | None = None,
    ids_file: Annotated[str | None, Field(min_length=1)] = None,
) -> ContactsCleanupReport:
    """Choose contacts by filter or by a file of ids and delete them in batches of 100.

    The filters combine: `opted_out` with `group_id` deletes the opted-out members of that
    group. `ids_file` cannot be combined with them. At least one criterion is required, so a
    run never deletes every contact by accident.

    Args:
        credentials: The RASL credentials block of a token with `contacts:read` and
            `contacts:delete`.
        dry_run: List the contacts that would be deleted and delete nothing. Turn it off
            only after reading a dry run's artifact.
        opted_out: Choose the contacts that opted out of messages.
        group_id: Choose the members of this group.
        contact_type: Choose the contacts of this type.
        ids_file: A file of contact ids, as a local path or an fsspec URL (`s3://...`): one
            or more ids per line, `#` comments allowed.

    Returns:
        The chosen contacts (masked), and the deleted and failed counts.
    """
    logger = get_logger()
    use_filters = opted_out or group_id is not None or contact_type is not None
    if ids_file and use_filters:
        raise ValueError(
            "ids_file cannot be combined with opted_out, group_id or contact_type: run the "
            "flow once per way of choosing contacts."
        )
    if not ids_file and not use_filters:
        raise ValueError(
            "No contacts chosen: set opted_out, group_id, contact_type or ids_file. The flow "
            "never deletes every contact."
        )

    report = ContactsCleanupReport(
        dry_run=dry_run, selection=describe_selection(opted_out, group_id, contact_type, ids_file)
    )
    chosen = choose_contacts(credentials, report, opted_out, group_id, contact_type, ids_file)
    report.selected = len(chosen)
    report.contacts = [
        CleanupContact(
            id=cast(int, contact.id),
            masked_phone=mask_phone(contact.phone),
            type=contact.type,
            opted_out=contact.is_opted_out,
        )
        for contact in chosen[:MAX_LISTED_CONTACTS]
    ]

    if not dry_run:
        ids = [cast(int, contact.id) for contact in chosen]
        for start in range(0, len(ids), DELETE_BATCH_SIZE):
            result = batch_delete_contacts(credentials, ids=ids[start : start + DELETE_BATCH_SIZE])
            report.batches += 1
            report.deleted += result.summary.deleted or 0
            report.failed += result.summary.failed or 0

    publish_report(report)
    logger.info(
        "Contacts cleanup (%s, dry run %s): %d chosen, %d deleted, %d failed, %d ids not found",
        report.selection,
        dry_run,
        report.selected,
        report.deleted,
        report.failed,
        len(report.ids_not_found),
    )
    return report


def choose_contacts(
    credentials: RaslCredentials,
    report: ContactsCleanupReport,
    opted_out: bool,
    group_id: int | None,
    contact_type: str | None,
    ids_file: str | None,
) -> list[Contact]:
    """Return the contacts the criteria choose, noting ids of the file that match none."""
    server_filter: dict[str, object] = {}
    if group_id is not None:
        server_filter["group_id"] = group_id
    if contact_type is not None:
        server_filter["type"] = contact_type

    contacts: list[Contact] = list_contacts(
        credentials, sort="id", filter=server_filter or None
    ).items

    if ids_file:
        listed_ids = read_contact_ids(ids_file)
        by_id = {contact.id: contact for contact in contacts}
        report.ids_not_found = [contact_id for contact_id in listed_ids if contact_id not in by_id]
        return [by_id[contact_id] for contact_id in listed_ids if contact_id in by_id]

    # RASL documents no filter on opt-out, so it is applied to the listed contacts.
    return [
        contact
        for contact in contacts
        if contact.id is not None and (not opted_out or contact.is_opted_out)
    ]


def publish_report(report: ContactsCleanupReport) -> None:
    """Create the table artifact of chosen contacts and a markdown summary."""
    title = "Contacts that would be deleted (dry run)" if report.dry_run else "Contacts deleted"
    create_table_artifact(
        key="contacts-cleanup",
        table=[contact.model_dump() for contact in report.contacts],
        description=f"{title}: {report.selection}",
    )

    lines = [
        "# Contacts cleanup" + (" (dry run: nothing was deleted)" if report.dry_run else ""),
        "",
        f"Chosen: {report.selection}.",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| contacts chosen | {report.selected} |",
        f"| deleted | {report.deleted} |",
        f"| failed | {report.failed} |",
        f"| batch delete requests | {report.batches} |",
        f"| ids in the file without a contact | {len(report.ids_not_found)} |",
    ]
    if report.selected > len(report.contacts):
        lines += ["", f"The table lists the first {len(report.contacts)} contacts."]
    if report.dry_run and report.selected:
        lines += ["", "Run again with `dry_run` off to delete these contacts."]
    create_markdown_artifact(
        key="contacts-cleanup-summary",
        markdown="\n".join(lines),
        description=f"Contacts cleanup: {report.selection}",
    )
