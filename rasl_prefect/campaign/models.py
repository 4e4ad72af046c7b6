"""Data models of a template campaign: recipients, send outcomes and chunk results."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SendStatus = Literal["sent", "already_sent", "failed", "unknown", "not_consented"]


class Recipient(BaseModel):
    """One contact to message, with the template parameters resolved for it."""

    phone: str = Field(description="The phone number in E.164 form, such as +966500000011.")
    contact_id: int | None = Field(default=None, description="The RASL contact id, when known.")
    parameters: list[str] = Field(
        default_factory=list,
        description="The template body parameters, in order (`field_1`, `field_2`, ...).",
    )
    line_number: int | None = Field(
        default=None, description="The line of the source file the recipient came from."
    )


class SendOutcome(BaseModel):
    """The outcome of one campaign message."""

    message_key: str = Field(description="The stable key of the message within its campaign.")
    status: SendStatus = Field(description="What happened to the message.")
    masked_phone: str = Field(default="", description="The phone with all but 4 digits masked.")
    contact_id: int | None = Field(default=None, description="The RASL contact id.")
    message_id: str | None = Field(default=None, description="The WhatsApp message id when sent.")
    error_code: str | None = Field(default=None, description="The RASL error code of a failure.")
    reason: str | None = Field(default=None, description="Why the message failed or is unknown.")
    retry_safe: bool = Field(
        default=False,
        description="True when the failed request provably had no effect, so a re-run may send it.",
    )
    line_number: int | None = Field(default=None, description="The source file line, if any.")


class SendCounts(BaseModel):
    """Counts of message outcomes."""

    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    unknown: int = 0

    def add(self, outcome: SendOutcome) -> None:
        """Count one outcome."""
        if outcome.status == "sent":
            self.sent += 1
        elif outcome.status == "already_sent":
            self.already_sent += 1
        elif outcome.status == "failed":
            self.failed += 1
        elif outcome.status == "unknown":
            self.unknown += 1
