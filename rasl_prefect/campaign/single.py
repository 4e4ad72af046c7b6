"""One template message per campaign, for flows that an event starts: an order status, a contact.

`TemplateSender` keys each message by campaign, phone, template, language and parameters, so an
order whose total or phone was edited between two webhooks would get a second message. The flows
started by webhooks need a coarser guarantee: one message per order status, or per contact,
whatever a later event carries. `SingleMessageLedger` gives it by storing every message of a
campaign under one record, and `send_template_once` sends through it.
"""

from __future__ import annotations

from typing import Literal

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, Field

from rasl_prefect.campaign.ledger import SendLedger
from rasl_prefect.campaign.models import Recipient, SendOutcome
from rasl_prefect.campaign.sender import TemplateSender
from rasl_prefect.campaign.tasks import current_flow_run_id
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.tasks.policies import require_scopes

SINGLE_RECORD_KEY = "single-message"
"""The ledger key under which `SingleMessageLedger` stores a campaign's only message."""


class SingleMessageLedger(SendLedger):
    """A send ledger that records one message per campaign, whatever its phone or parameters.

    Every message key of the campaign maps to the same intent and outcome records. The first
    message of the campaign therefore decides: later messages get `already_sent`, or the first
    message's failure or unknown outcome. A failure that provably had no effect is the
    exception, because `TemplateSender` sends again after it.

    Args:
        campaign_id: The campaign, such as `woocommerce-order-shop.example-4321-processing`.
        storage: The file system that keeps the records; defaults to Prefect's result storage.
    """

    def read_outcome(self, message_key: str) -> SendOutcome | None:
        """Return the campaign's recorded outcome, or None when none was recorded."""
        return super().read_outcome(SINGLE_RECORD_KEY)

    def has_intent(self, message_key: str) -> bool:
        """Return True when a send of the campaign's message was started before."""
        return super().has_intent(SINGLE_RECORD_KEY)

    def record_intent(self, message_key: str, flow_run_id: str | None = None) -> None:
        """Record that the campaign's message is about to be sent."""
        super().record_intent(SINGLE_RECORD_KEY, flow_run_id)

    def record_outcome(self, outcome: SendOutcome) -> None:
        """Record the final outcome of the campaign's message."""
        super().record_outcome(outcome.model_copy(update={"message_key": SINGLE_RECORD_KEY}))


NotificationStatus = Literal["sent", "already_sent", "failed", "unknown", "skipped"]


class NotificationResult(BaseModel):
    """The outcome of a flow that an event starts: the message it sent, or why it sent none."""

    status: NotificationStatus = Field(
        description="`sent`, `already_sent` (an earlier event sent it), `failed`, `unknown` "
        "(the send may have been delivered) or `skipped` (nothing to send)."
    )
    reason: str | None = Field(default=None, description="Why nothing was sent, or the error.")
    campaign_id: str | None = Field(default=None, description="The ledger campaign of the message.")
    masked_phone: str = Field(default="", description="The phone with all but 4 digits masked.")
    message_id: str | None = Field(default=None, description="The WhatsApp message id when sent.")
    contact_id: int | None = Field(default=None, description="The RASL contact id, when known.")
    error_code: str | None = Field(default=None, description="The RASL error code of a failure.")

    @classmethod
    def from_outcome(cls, outcome: SendOutcome, campaign_id: str) -> NotificationResult:
        """Build the result of a flow from the outcome of its send."""
        reason = outcome.reason
        status: NotificationStatus
        if outcome.status == "not_consented":
            status = "skipped"
        else:
            status = outcome.status
        if status == "already_sent":
            reason = "an earlier event of this campaign sent the message"

        return cls(
            status=status,
            reason=reason,
            campaign_id=campaign_id,
            masked_phone=outcome.masked_phone,
            message_id=outcome.message_id,
            contact_id=outcome.contact_id,
            error_code=outcome.error_code,
        )


@task(
    name="send_template_once",
    description="Sends an approved template unless the campaign's one message was handled before.",
    retries=0,
    cache_policy=NO_CACHE,
)
def send_template_once(
    credentials: RaslCredentials,
    recipient: Recipient,
    campaign_id: str,
    template_name: str,
    language: str,
) -> SendOutcome:
    """Send a template as the only message of `campaign_id`.

    The campaign's ledger record makes the send happen at most once across flow runs, retries
    and redelivered events, and a run that stopped mid-send leaves the message `unknown`
    rather than sending it twice. The task has no cache and no retries, because the ledger
    decides instead. The ledger is not a lock, so two runs of one campaign must not overlap:
    run them one at a time, for example with a deployment concurrency limit of 1.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        recipient: The phone in E.164 form and the template's body parameters.
        campaign_id: The campaign; letters, digits, `-`, `_` and `.`.
        template_name: An APPROVED template.
        language: The template's language code.

    Returns:
        The outcome: `sent`, `already_sent`, `failed` or `unknown`.
    """
    require_scopes(credentials, "messages:send")

    sender = TemplateSender(
        credentials.get_client(),
        SingleMessageLedger(campaign_id),
        template_name=template_name,
        language=language,
        max_workers=1,
        flow_run_id=current_flow_run_id(),
    )
    outcome = sender.send_one(recipient)

    get_logger().info(
        "Campaign %s: template %s (%s) to %s is %s (message %s)",
        campaign_id,
        template_name,
        language,
        outcome.masked_phone,
        outcome.status,
        outcome.message_id,
    )
    return outcome
