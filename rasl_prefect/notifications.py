"""The notification block that sends Prefect notifications as WhatsApp messages through RASL."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

# NOTE: async_dispatch is private Prefect API (added in 3.1.3); Prefect's own notification
# blocks and prefect-slack use it, but a Prefect release may move it without notice.
from prefect._internal.compatibility.async_dispatch import async_dispatch
from prefect.blocks.abstract import NotificationBlock, NotificationError
from pydantic import Field, field_validator, model_validator

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import RaslError
from rasl_prefect.logging import mask_phone
from rasl_prefect.models.common import check_phone

if TYPE_CHECKING:
    from rasl_prefect.client import AsyncRaslClient, RaslClient
    from rasl_prefect.models import SentMessage

MAX_TEXT_LENGTH = 4096
"""The maximum length of a text message that the API accepts, in characters."""

DEFAULT_TEMPLATE_SUBJECT = "Prefect notification"
"""The value of `subject_parameter` when `notify` is called without a subject."""

TEMPLATE_PARAMETER_PATTERN = re.compile(r"^(header_field_1|field_([1-9]|10))$")
"""Template parameters that can carry notification text: the TEXT header and body placeholders."""


class RaslWhatsAppNotification(NotificationBlock):
    """Sends Prefect notifications as WhatsApp messages to a list of phone numbers through RASL.

    Without a template, each recipient gets a text message made of the subject, a blank line
    and the body, cut to 4096 characters. WhatsApp delivers a text message only within 24 hours
    of the recipient's last message to the business, so alerts to people who do not write to
    you need a template. With `template_name`, the body fills `body_parameter` (`field_1`, the
    template's `{{1}}`, by default) and, when `subject_parameter` is set, the subject fills that
    parameter (for example `field_2` or `header_field_1`). The template must have exactly those
    placeholders. Every recipient is tried; failures are logged, and raised together as a
    `NotificationError` inside `raise_on_failure()`, which automations use.

    Attributes:
        credentials: The RASL credentials; the token needs the `messages:send` scope.
        to: The recipients' phone numbers with country code.
        template_name: An APPROVED template to send instead of a text message.
        language: The template's language code.
        body_parameter: The template parameter that receives the notification body.
        subject_parameter: The template parameter that receives the subject, if any.

    Examples:
        Send a notification from a flow:
        ```python
        from rasl_prefect import RaslWhatsAppNotification

        whatsapp_notification = RaslWhatsAppNotification.load("BLOCK_NAME")
        whatsapp_notification.notify("The nightly import finished.", subject="Import")
        ```
    """

    _block_type_name = "RASL WhatsApp Notification"
    _block_type_slug = "rasl-whatsapp-notification"
    _logo_url = "https://getrasl.io/favicon.ico"  # type: ignore[assignment]
    _documentation_url = "https://github.com/rasl-prefect/rasl-prefect#readme"  # type: ignore[assignment]
    _description = "Sends Prefect notifications as WhatsApp text or template messages through RASL."

    credentials: RaslCredentials = Field(
        default=...,
        description="The RASL credentials block; its token needs the `messages:send` scope.",
    )
    to: list[str] = Field(
        default=...,
        min_length=1,
        title="Recipients",
        description="Phone numbers with country code, such as +966500000011.",
    )
    template_name: str | None = Field(
        default=None,
        title="Template name",
        description=(
            "An APPROVED template to send instead of a text message; needed for recipients "
            "who have not written to you in the last 24 hours."
        ),
    )
    language: str = Field(
        default="en",
        max_length=10,
        title="Template language",
        description="The template's language code, such as `en` or `ar`.",
    )
    body_parameter: str = Field(
        default="field_1",
        title="Body parameter",
        description=(
            "The template parameter that receives the notification body, such as `field_1`."
        ),
    )
    subject_parameter: str | None = Field(
        default=None,
        title="Subject parameter",
        description=(
            "The template parameter that receives the subject, such as `field_2` or "
            "`header_field_1`; empty leaves the subject out of template messages."
        ),
    )

    @field_validator("to")
    @classmethod
    def _check_recipients(cls, value: list[str]) -> list[str]:
        recipients = [phone.strip() for phone in value]
        for phone in recipients:
            check_phone(phone)
        return recipients

    @field_validator("body_parameter", "subject_parameter")
    @classmethod
    def _check_parameter_name(cls, value: str | None) -> str | None:
        if value is not None and not TEMPLATE_PARAMETER_PATTERN.match(value):
            raise ValueError(
                f"template parameter {value!r} is not one of field_1 to field_10 or header_field_1"
            )
        return value

    @model_validator(mode="after")
    def _check_distinct_parameters(self) -> RaslWhatsAppNotification:
        if self.subject_parameter is not None and self.subject_parameter == self.body_parameter:
            raise ValueError(
                f"subject_parameter and body_parameter are both {self.body_parameter!r}; "
                "give the subject another parameter or leave it empty"
            )
        return self

    async def anotify(self, body: str, subject: str | None = None) -> None:
        """Send the notification to every recipient without blocking the event loop.

        Args:
            body: The notification text.
            subject: A title, such as the one an automation renders.

        Raises:
            NotificationError: Inside `raise_on_failure()`, when a send to any recipient failed.
        """
        fields = self._message_fields(body, subject)
        failures: list[str] = []
        async with self.credentials.get_async_client() as client:
            for phone in self.to:
                try:
                    sent = await self._asend(client, phone, fields)
                except RaslError as error:
                    failures.append(self._record_failure(phone, error))
                    continue
                self._record_success(phone, sent)
        self._finish(failures)

    @async_dispatch(anotify)
    def notify(self, body: str, subject: str | None = None) -> None:  # type: ignore[override]
        """Send the notification to every recipient.

        Inside an async flow or task, or a running event loop, this returns the coroutine of
        `anotify` instead, as Prefect's own notification blocks do.

        Args:
            body: The notification text.
            subject: A title, such as the one an automation renders.

        Raises:
            NotificationError: Inside `raise_on_failure()`, when a send to any recipient failed.
        """
        fields = self._message_fields(body, subject)
        failures: list[str] = []
        client = self.credentials.get_client()
        for phone in self.to:
            try:
                sent = self._send(client, phone, fields)
            except RaslError as error:
                failures.append(self._record_failure(phone, error))
                continue
            self._record_success(phone, sent)
        self._finish(failures)

    def _message_fields(self, body: str, subject: str | None) -> dict[str, Any]:
        """Build the send arguments shared by every recipient: a text, or a template's fields."""
        if self.template_name is None:
            return {"message": self._text(body, subject)}
        return {
            "template_name": self.template_name,
            "language": self.language,
            "parameters": self._template_fields(body, subject),
        }

    def _send(self, client: RaslClient, phone: str, fields: dict[str, Any]) -> SentMessage:
        if self.template_name is None:
            return client.send_text_message(phone=phone, **fields)
        return client.send_template_message(phone=phone, **fields)

    async def _asend(
        self, client: AsyncRaslClient, phone: str, fields: dict[str, Any]
    ) -> SentMessage:
        if self.template_name is None:
            return await client.send_text_message(phone=phone, **fields)
        return await client.send_template_message(phone=phone, **fields)

    def _text(self, body: str, subject: str | None) -> str:
        text = f"{subject}\n\n{body}" if subject else body
        if len(text) > MAX_TEXT_LENGTH:
            self.logger.warning(
                "Notification text has %d characters; sending the first %d",
                len(text),
                MAX_TEXT_LENGTH,
            )
            text = text[: MAX_TEXT_LENGTH - 1] + "…"
        return text

    def _template_fields(self, body: str, subject: str | None) -> dict[str, str]:
        fields = {self.body_parameter: body}
        if self.subject_parameter is not None:
            fields[self.subject_parameter] = subject or DEFAULT_TEMPLATE_SUBJECT
        return fields

    def _record_success(self, phone: str, sent: SentMessage) -> None:
        self.logger.info(
            "Sent WhatsApp notification to %s: message %s", mask_phone(phone), sent.message_id
        )

    def _record_failure(self, phone: str, error: RaslError) -> str:
        masked = mask_phone(phone)
        # The API's message may quote the recipient, so the full number is masked in it too.
        reason = str(error)
        for spelling in {phone, "".join(character for character in phone if character.isdigit())}:
            reason = reason.replace(spelling, masked)
        self.logger.error("WhatsApp notification to %s failed: %s", masked, reason)
        return f"{masked}: {reason}"

    def _finish(self, failures: list[str]) -> None:
        if not failures:
            return
        if self._raise_on_failure:
            raise NotificationError(
                log=f"{len(failures)} of {len(self.to)} WhatsApp notifications failed:\n"
                + "\n".join(failures)
            )
