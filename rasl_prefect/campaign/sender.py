"""The exactly-once template sender shared by every campaign flow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from rasl_prefect.campaign.keys import message_key
from rasl_prefect.campaign.ledger import SendLedger
from rasl_prefect.campaign.models import Recipient, SendOutcome
from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import (
    RaslError,
    RaslOutcomeUnknownError,
    RaslServerError,
)
from rasl_prefect.logging import get_logger, mask_phone

DEFAULT_SEND_CONCURRENCY = 4
"""Threads sending at once in one chunk task.

Two chunk tasks run at once, so a process has 8 requests in flight, enough to hide the latency
of a distant API. More threads per chunk were slower on two cores. On a local sandbox, one chunk
sender with a local ledger sent about 760 messages per second with 4 threads and 650 with 8,
because the threads contend for the GIL around every file write and request.
"""


class TemplateSender:
    """Send one template to many recipients, each message at most once per campaign.

    Every message gets a key from the campaign id, phone, template, language and parameters.
    The ledger records an intent before the request and the outcome after it, so a retried or
    re-run flow skips what was sent, reports what may have been sent as unknown, and sends the
    rest. The client paces requests under the token's limit; the threads only overlap latency.

    Args:
        client: A RASL client, shared by the sending threads.
        ledger: The campaign's send ledger.
        template_name: An APPROVED template.
        language: The template's language code.
        max_workers: Requests in flight at once.
        flow_run_id: Stored in intent records, to tell which run started a send.
    """

    def __init__(
        self,
        client: RaslClient,
        ledger: SendLedger,
        *,
        template_name: str,
        language: str,
        max_workers: int = DEFAULT_SEND_CONCURRENCY,
        flow_run_id: str | None = None,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.template_name = template_name
        self.language = language
        self.max_workers = max(1, max_workers)
        self.flow_run_id = flow_run_id

    def send_all(
        self,
        recipients: Sequence[Recipient],
        on_outcome: Callable[[SendOutcome], None] | None = None,
    ) -> list[SendOutcome]:
        """Send the template to every recipient and return one outcome each, in order.

        Args:
            recipients: The recipients with their template parameters.
            on_outcome: Called with each outcome as it is known, from the sending threads.

        Returns:
            The outcomes, in the order of `recipients`.
        """
        if not recipients:
            return []

        def send_and_report(recipient: Recipient) -> SendOutcome:
            outcome = self.send_one(recipient)
            if on_outcome is not None:
                on_outcome(outcome)
            return outcome

        workers = min(self.max_workers, len(recipients))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rasl-send") as pool:
            return list(pool.map(send_and_report, recipients))

    def send_one(self, recipient: Recipient) -> SendOutcome:
        """Send the template to one recipient unless the ledger records it as handled."""
        key = message_key(
            self.ledger.campaign_id,
            recipient.phone,
            self.template_name,
            self.language,
            recipient.parameters,
        )

        previous = self._previous_outcome(key, recipient)
        if previous is not None:
            return previous

        self.ledger.record_intent(key, self.flow_run_id)
        outcome = self._send(key, recipient)
        self.ledger.record_outcome(outcome)
        return outcome

    def _previous_outcome(self, key: str, recipient: Recipient) -> SendOutcome | None:
        recorded = self.ledger.read_outcome(key)

        if recorded is not None:
            if recorded.status == "failed" and recorded.retry_safe:
                return None
            if recorded.status in ("sent", "already_sent"):
                return recorded.model_copy(
                    update={"status": "already_sent", "line_number": recipient.line_number}
                )
            return recorded.model_copy(update={"line_number": recipient.line_number})

        if self.ledger.has_intent(key):
            # The process stopped between recording the intent and recording the outcome, so
            # the request may have reached RASL. Sending again could duplicate the message.
            outcome = self._outcome(
                key,
                recipient,
                "unknown",
                reason="an earlier run stopped while sending; the message may have been delivered",
            )
            self.ledger.record_outcome(outcome)
            return outcome

        return None

    def _send(self, key: str, recipient: Recipient) -> SendOutcome:
        logger = get_logger()

        try:
            sent = self.client.send_template_message(
                phone=recipient.phone,
                template_name=self.template_name,
                language=self.language,
                body=recipient.parameters or None,
                contact_id=recipient.contact_id,
            )
        except RaslOutcomeUnknownError as error:
            logger.warning(
                "Outcome of the send to %s is unknown and it will not be repeated: %s",
                mask_phone(recipient.phone),
                error,
            )
            return self._outcome(key, recipient, "unknown", error=error)
        except RaslServerError as error:
            # A 5xx response to a POST may come after the message was accepted, so it is final.
            logger.warning("Send to %s failed: %s", mask_phone(recipient.phone), error)
            return self._outcome(key, recipient, "failed", error=error, retry_safe=False)
        except RaslError as error:
            # A 4xx response, an exhausted rate limit or a connection that never opened: the
            # message was provably not accepted, so a later run may send it.
            logger.warning("Send to %s failed: %s", mask_phone(recipient.phone), error)
            retry_safe = error.status_code is None or error.status_code < 500
            return self._outcome(key, recipient, "failed", error=error, retry_safe=retry_safe)

        return self._outcome(
            key,
            recipient,
            "sent",
            message_id=sent.message_id,
            contact_id=sent.contact_id or recipient.contact_id,
        )

    def _outcome(
        self,
        key: str,
        recipient: Recipient,
        status: str,
        *,
        error: RaslError | None = None,
        reason: str | None = None,
        retry_safe: bool = False,
        message_id: str | None = None,
        contact_id: int | None = None,
    ) -> SendOutcome:
        return SendOutcome.model_validate(
            {
                "message_key": key,
                "status": status,
                "masked_phone": mask_phone(recipient.phone),
                "contact_id": contact_id if contact_id is not None else recipient.contact_id,
                "message_id": message_id,
                "error_code": error.code if error is not None else None,
                "reason": reason or (error.message if error is not None else None),
                "retry_safe": retry_safe,
                "line_number": recipient.line_number,
            }
        )
