"""Report the messages sent in a time window by status and type, with the failure reasons."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, cast

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import Message, Page
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.tasks import get_message, list_messages

STATUSES = ("sent", "delivered", "read", "failed")
"""The delivery statuses of an outbound message, in the order they are reached."""


class DeliveryCounts(BaseModel):
    """Counts of one message type by delivery status."""

    type: str = Field(description="The message type, such as `template` or `text`.")
    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0
    other: int = Field(default=0, description="Messages with a status outside the four above.")
    total: int = 0


class FailureReason(BaseModel):
    """A failure reason and how many of the inspected failed messages gave it."""

    reason: str = Field(description="The `status_message` of Get Message.")
    count: int = Field(description="Inspected failed messages with this reason.")
    example_message_id: int | None = Field(default=None, description="One such message's id.")


class DeliveryReport(BaseModel):
    """Outbound messages of a window, grouped by type and status, with failure reasons."""

    window_start: datetime = Field(description="The start of the window (UTC, inclusive).")
    window_end: datetime = Field(description="The end of the window (UTC, exclusive).")
    messages: int = Field(default=0, description="Outbound messages sent in the window.")
    by_type: list[DeliveryCounts] = Field(default_factory=list, description="Counts per type.")
    failed: int = Field(default=0, description="Failed messages in the window.")
    failures_inspected: int = Field(
        default=0, description="Failed messages whose reason was read with Get Message."
    )
    reasons: list[FailureReason] = Field(default_factory=list, description="Failure reasons.")
    pages_read: int = Field(default=0, description="Pages of the message list read.")
    truncated: bool = Field(
        default=False, description="True when `max_pages` stopped the listing early."
    )


def message_time(message: Message) -> datetime | None:
    """Return when a message was sent (`sent_at`, else `created_at`) as an aware UTC datetime."""
    value = message.sent_at or getattr(message, "created_at", None)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@flow(
    name="delivery-report",
    description="Report the WhatsApp messages sent in a time window by status and type.",
)
def delivery_report(
    credentials: RaslCredentials,
    hours: Annotated[float, Field(gt=0, le=24 * 93)] = 24.0,
    window_end: datetime | None = None,
    max_pages: Annotated[int, Field(ge=1, le=1000)] = 50,
    max_failures_inspected: Annotated[int, Field(ge=0, le=500)] = 50,
) -> DeliveryReport:
    """Count the outbound messages of a time window by type and status, with failure reasons.

    Messages are read newest first, 100 per page, until one is older than the window.

    Args:
        credentials: The RASL credentials block of a token with `messages:read`.
        hours: The window's length in hours, ending at `window_end`.
        window_end: The end of the window; defaults to now. A time without a zone is UTC.
        max_pages: Pages of 100 messages to read at most; the report marks counts cut short
            by this bound as partial.
        max_failures_inspected: Failed messages whose reason is read with one Get Message
            request each, newest first.

    Returns:
        The counts per type and status and the failure reasons found.
    """
    logger = get_logger()
    end = window_end or datetime.now(timezone.utc)
    end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    report = DeliveryReport(window_start=end - timedelta(hours=hours), window_end=end)

    in_window: list[Message] = []
    for page_number in range(1, max_pages + 1):
        page = cast(
            Page[Message],
            list_messages(
                credentials,
                page=page_number,
                per_page=MAX_PER_PAGE,
                sort="-created_at",
                filter={"direction": "outbound"},
            ),
        )
        report.pages_read = page_number

        older_found = False
        for message in page.items:
            sent = message_time(message)
            if sent is None or sent >= end:
                continue
            if sent < report.window_start:
                older_found = True
                continue
            in_window.append(message)

        if older_found or not page.has_next_page():
            break
    else:
        report.truncated = True

    count_messages(report, in_window)
    inspect_failures(credentials, report, in_window, max_failures_inspected)

    publish_report(report)
    logger.info(
        "Delivery report %s to %s: %d messages, %d failed, %d failure reasons read",
        report.window_start.isoformat(),
        report.window_end.isoformat(),
        report.messages,
        report.failed,
        report.failures_inspected,
    )
    return report


def count_messages(report: DeliveryReport, messages: list[Message]) -> None:
    """Add the messages to the report's counts per type and status."""
    counts: dict[str, DeliveryCounts] = {}
    for message in messages:
        kind = message.type or "unknown"
        row = counts.setdefault(kind, DeliveryCounts(type=kind))
        status = (message.status or "").lower()
        if status in STATUSES:
            setattr(row, status, getattr(row, status) + 1)
        else:
            row.other += 1
        row.total += 1

    report.messages = len(messages)
    report.by_type = sorted(counts.values(), key=lambda row: row.type)
    report.failed = sum(row.failed for row in report.by_type)


def inspect_failures(
    credentials: RaslCredentials, report: DeliveryReport, messages: list[Message], limit: int
) -> None:
    """Read the reason of up to `limit` failed messages with Get Message and count them."""
    failed = [m for m in messages if (m.status or "").lower() == "failed" and m.id is not None]
    reasons: dict[str, FailureReason] = {}
    for message in failed[:limit]:
        detail = get_message(credentials, message_id=cast(int, message.id))
        text = (detail.status_message or "no reason given").strip()
        entry = reasons.setdefault(text, FailureReason(reason=text, count=0))
        entry.count += 1
        if entry.example_message_id is None:
            entry.example_message_id = detail.id
        report.failures_inspected += 1

    report.reasons = sorted(reasons.values(), key=lambda entry: (-entry.count, entry.reason))


def publish_report(report: DeliveryReport) -> None:
    """Create the table artifact of counts and the markdown summary with failure reasons."""
    create_table_artifact(
        key="delivery-report",
        table=[row.model_dump() for row in report.by_type],
        description=(
            f"Outbound messages from {report.window_start:%Y-%m-%d %H:%M} to "
            f"{report.window_end:%Y-%m-%d %H:%M} UTC by type and status"
        ),
    )

    lines = [
        f"# Messages from {report.window_start:%Y-%m-%d %H:%M} to "
        f"{report.window_end:%Y-%m-%d %H:%M} UTC",
        "",
        "| type | sent | delivered | read | failed | other | total |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report.by_type:
        lines.append(
            f"| {row.type} | {row.sent} | {row.delivered} | {row.read} | {row.failed} "
            f"| {row.other} | {row.total} |"
        )
    lines += ["", f"**{report.messages} messages, {report.failed} failed.**"]
    if report.truncated:
        lines += ["", f"The listing stopped after {report.pages_read} pages: counts are partial."]

    if report.reasons:
        lines += [
            "",
            f"## Failure reasons of {report.failures_inspected} of {report.failed} failed messages",
            "",
            "| reason | messages | example message id |",
            "| --- | ---: | ---: |",
        ]
        for entry in report.reasons:
            reason = entry.reason.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {reason} | {entry.count} | {entry.example_message_id} |")

    create_markdown_artifact(
        key="delivery-report-summary",
        markdown="\n".join(lines),
        description="Delivery counts and failure reasons",
    )
