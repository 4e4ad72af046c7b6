"""One-time passwords sent with AUTHENTICATION templates: send, verify, resend, status."""

from __future__ import annotations

from pydantic import Field, field_validator

from rasl_prefect.models.common import RaslRequest, RaslResponse, Timestamp, check_phone
from rasl_prefect.models.query import FilterValue, ListFilter


class _OtpPhoneRequest(RaslRequest):
    phone: str
    purpose: str | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value)


class SendOtpRequest(_OtpPhoneRequest):
    """Body of `POST /auth/send-otp`; the caller chooses the code.

    Attributes:
        phone: Recipient with country code, 10 to 20 characters.
        template_name: An APPROVED AUTHENTICATION template; its `{{1}}` receives the code.
        code: The code to send.
        language: At most 10 characters; the server's default is `en`.
        expiry_minutes: 1 to 60; the server's default is 10.
        contact_id: An existing contact.
        purpose: At most 50 characters; the server's default is `authentication`.
        additional_params: Extra body parameters after the code and the expiry.
    """

    template_name: str = Field(min_length=1)
    code: str = Field(min_length=1)
    language: str | None = Field(default=None, min_length=1, max_length=10)
    expiry_minutes: int | None = Field(default=None, ge=1, le=60)
    contact_id: int | None = None
    additional_params: list[str] | None = None


class VerifyOtpRequest(_OtpPhoneRequest):
    """Body of `POST /auth/verify`; `purpose` must match the one used when sending."""

    code: str = Field(min_length=1)


class ResendOtpRequest(_OtpPhoneRequest):
    """Body of `POST /auth/resend`; the server replaces the OTP with a new 6-digit code."""

    template_name: str = Field(min_length=1)
    language: str | None = Field(default=None, min_length=1, max_length=10)
    expiry_minutes: int | None = Field(default=None, ge=1, le=60)


class OtpStatusRequest(_OtpPhoneRequest):
    """Body of `POST /auth/status`, which reads the OTP state without using up an attempt."""


class OtpSent(RaslResponse):
    """The result of `send_otp` and `resend_otp`. The code itself is never returned."""

    message_id: str | None = None
    contact_id: int | None = None
    phone: str | None = None
    template_name: str | None = None
    language: str | None = None
    code_sent: bool | None = None
    expiry_minutes: int | None = None
    expires_at: Timestamp | None = None
    status: str | None = None
    sent_at: Timestamp | None = None


class OtpVerification(RaslResponse):
    """The result of a successful `verify_otp`; failures raise `RaslOtpError` subclasses."""

    phone: str | None = None
    purpose: str | None = None
    verified_at: Timestamp | None = None


class OtpStatus(RaslResponse):
    """The state of the active OTP for a phone and purpose.

    Attributes:
        has_active_otp: False when no OTP is active.
        expires_at: When the OTP expires.
        expires_in_seconds: Seconds left; negative once expired.
        is_expired: Whether it has expired.
        verification_attempts: Failed attempts so far.
        max_attempts: Attempts allowed, 5 by default.
        attempts_remaining: Attempts left.
        created_at: When the OTP was created.
    """

    has_active_otp: bool | None = None
    expires_at: Timestamp | None = None
    expires_in_seconds: float | None = None
    is_expired: bool | None = None
    verification_attempts: int | None = None
    max_attempts: int | None = None
    attempts_remaining: int | None = None
    created_at: Timestamp | None = None


class AuthenticationTemplate(RaslResponse):
    """An APPROVED template of category AUTHENTICATION, usable by `send_otp`."""

    id: int | None = None
    template_name: str | None = None
    language: str | None = None
    body_text: str | None = None
    body_params_count: int | None = None
    header_format: str | None = None
    header_text: str | None = None
    footer_text: str | None = None
    status: str | None = None
    created_at: Timestamp | None = None


class AuthenticationTemplateFilter(ListFilter):
    """Filters of `list_authentication_templates`."""

    language: FilterValue | None = None
    template_name: FilterValue | None = None
