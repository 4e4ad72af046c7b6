"""The report of a contacts import campaign and the artifacts a person reads after a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from rasl_prefect.campaign.models import SendOutcome

if TYPE_CHECKING:
    from rasl_prefect.campaign.tasks import ContactChunk

MAX_LISTED_ROWS = 1000
"""Rejected rows and failed sends listed one by one; the counts stay exact beyond it."""


class RejectedRowReport(BaseModel):
    """A file row that was not imported."""

    line_number: int = Field(description="The line of the file where the row starts.")
    reason: str = Field(description="Why the row was rejected.")
    masked_phone: str = Field(default="", description="The phone with all but 4 digits masked.")


class FailedSendReport(BaseModel):
    """A message that failed or whose outcome is unknown."""

    line_number: int | None = Field(default=None, description="The source file line.")
    masked_phone: str = Field(default="", description="The phone with all but 4 digits masked.")
    status: str = Field(description="`failed` or `unknown`.")
    error_code: str | None = Field(default=None, description="The RASL error code.")
    reason: str | None = Field(default=None, description="What went wrong.")


class CsvImportReport(BaseModel):
    """The counts, rejected rows and failed sends of a `csv_import` run."""

    campaign_id: str = ""
    dry_run: bool = False
    source: str = ""
    encoding: str = ""
    delimiter: str = ""
    column_mapping: dict[str, Any] = Field(default_factory=dict)
    rows_read: int = 0
    rows_rejected: int = 0
    duplicate_rows: int = 0
    rows_accepted: int = 0
    contacts_created: int = 0
    contacts_existing: int = 0
    contacts_failed: int = 0
    contacts_added_to_group: int = 0
    group_id: int | None = None
    messages_sent: int = 0
    messages_already_sent: int = 0
    messages_failed: int = 0
    messages_unknown: int = 0
    messages_not_consented: int = 0
    messages_planned: int = Field(
        default=0, description="In a dry run, the consented contacts a real run would message."
    )
    template_values_normalized: int = 0
    phone_notes: dict[str, int] = Field(
        default_factory=dict,
        description="Counts of phone normalisation notes, such as dropped extensions.",
    )
    plan_limit_reached: bool = False
    rejected_rows: list[RejectedRowReport] = Field(default_factory=list)
    failed_sends: list[FailedSendReport] = Field(default_factory=list)
    rows_not_listed: int = Field(
        default=0, description="Rejected rows and failed sends beyond the listed maximum."
    )

    def add_rejected(self, row: RejectedRowReport, *, duplicate: bool = False) -> None:
        """Count a rejected row and list it while the list is below its maximum."""
        if duplicate:
            self.duplicate_rows += 1
        else:
            self.rows_rejected += 1
        self._list(self.rejected_rows, row)

    def count_planned_messages(self, chunk: ContactChunk) -> None:
        """Count, in a dry run, the chunk's contacts a real run would and would not message."""
        for contact in chunk.contacts:
            if contact.consented:
                self.messages_planned += 1
            else:
                self.messages_not_consented += 1

    def add_problem_row(self, row: RejectedRowReport) -> None:
        """List a row that was read but not imported, such as a contact RASL did not create."""
        self._list(self.rejected_rows, row)

    def add_outcome(self, outcome: SendOutcome) -> None:
        """Count one message outcome and list it when it failed or is unknown."""
        if outcome.status == "sent":
            self.messages_sent += 1
        elif outcome.status == "already_sent":
            self.messages_already_sent += 1
        elif outcome.status == "not_consented":
            self.messages_not_consented += 1
        elif outcome.status in ("failed", "unknown"):
            if outcome.status == "failed":
                self.messages_failed += 1
            else:
                self.messages_unknown += 1
            failed = FailedSendReport(
                line_number=outcome.line_number,
                masked_phone=outcome.masked_phone,
                status=outcome.status,
                error_code=outcome.error_code,
                reason=outcome.reason,
            )
            self._list(self.failed_sends, failed)

    def _list(self, rows: list[Any], row: BaseModel) -> None:
        if len(self.rejected_rows) + len(self.failed_sends) < MAX_LISTED_ROWS:
            rows.append(row)
        else:
            self.rows_not_listed += 1

    def summary_markdown(self) -> str:
        """Render the counts as a markdown summary."""
        mode = " (dry run: nothing was created or sent)" if self.dry_run else ""
        lines = [
            f"# Contacts import `{self.campaign_id}`{mode}",
            "",
            f"Source `{self.source}`, read as {self.encoding} with delimiter `{self.delimiter!r}`.",
            "",
            "| step | count |",
            "| --- | ---: |",
            f"| rows read | {self.rows_read} |",
            f"| rows rejected | {self.rows_rejected} |",
            f"| duplicate rows | {self.duplicate_rows} |",
            f"| rows accepted | {self.rows_accepted} |",
            f"| contacts created | {self.contacts_created} |",
            f"| contacts that already existed | {self.contacts_existing} |",
            f"| contacts not created | {self.contacts_failed} |",
            f"| contacts added to the group | {self.contacts_added_to_group} |",
            f"| messages sent | {self.messages_sent} |",
            f"| messages already sent by this campaign | {self.messages_already_sent} |",
            f"| messages failed | {self.messages_failed} |",
            f"| messages with unknown outcome (not retried) | {self.messages_unknown} |",
            f"| contacts without consent (not messaged) | {self.messages_not_consented} |",
            f"| template values normalised | {self.template_values_normalized} |",
        ]
        if self.dry_run:
            lines.insert(-1, f"| messages a real run would send | {self.messages_planned} |")
        if self.plan_limit_reached:
            lines += [
                "",
                "**The plan's contact limit was reached: later contacts were not created.**",
            ]
        if self.rows_not_listed:
            lines += [
                "",
                f"{self.rows_not_listed} more problem rows are counted but not listed.",
            ]
        return "\n".join(lines)

    def problem_table(self) -> list[dict[str, Any]]:
        """Return the rejected rows and failed sends as table rows for an artifact."""
        rows: list[dict[str, Any]] = [
            {
                "line": row.line_number,
                "phone": row.masked_phone,
                "problem": "rejected row",
                "code": "",
                "reason": row.reason,
            }
            for row in self.rejected_rows
        ]
        rows += [
            {
                "line": send.line_number,
                "phone": send.masked_phone,
                "problem": f"send {send.status}",
                "code": send.error_code or "",
                "reason": send.reason or "",
            }
            for send in self.failed_sends
        ]
        return rows
