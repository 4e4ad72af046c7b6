"""Exceptions raised by the RASL client, one class per documented error family."""

from __future__ import annotations

from typing import Any


class RaslError(Exception):
    """Base class of every error raised by `rasl_prefect`.

    Attributes:
        message: The API's human-readable message, or a sentence written by the client.
        status_code: The HTTP status of the response, or None when no response arrived.
        code: The API's machine-readable error code, such as `RATE_LIMIT_EXCEEDED`.
        request_id: The `meta.request_id` of the response, when the server sent one.
        details: Extra structured data from the error body (field errors, plan limit figures).
        retryable: True when repeating the same request cannot cause a duplicate side effect
            and may succeed: task-level `retry_condition_fn`s only retry such errors.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.details = details or {}
        if retryable is not None:
            self.retryable = retryable
        super().__init__(message)

    def __str__(self) -> str:
        parts = []
        if self.status_code is not None:
            parts.append(f"HTTP {self.status_code}")
        if self.code:
            parts.append(self.code)
        prefix = " ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        if self.request_id:
            text += f" (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, code={self.code!r}, "
            f"message={self.message!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Prefect pickles exceptions into failed states and results; keep every attribute.
        return (
            _rebuild_error,
            (type(self), self.message, self.__dict__.copy()),
        )


def _rebuild_error(cls: type[RaslError], message: str, state: dict[str, Any]) -> RaslError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class RaslConfigurationError(RaslError):
    """A credentials setting that does not fit the Prefect workspace.

    An example is a concurrency limit name that matches no limit. Fix the block or the workspace.
    """


class RaslAuthenticationError(RaslError):
    """The token is missing, invalid or expired (HTTP 401 `UNAUTHORIZED`)."""


class RaslScopeError(RaslError):
    """The token lacks the scope the endpoint needs (HTTP 403 `INSUFFICIENT_SCOPE`)."""


class RaslPlanLimitError(RaslError):
    """The plan's limit for a feature is reached (HTTP 403 `FEATURE_LIMIT_EXCEEDED`).

    `details` carries `feature`, `current` and `maximum` when the API sends them.
    """


class RaslFeatureNotAvailableError(RaslError):
    """The plan does not include the feature (HTTP 403 `FEATURE_NOT_AVAILABLE`)."""


class RaslContactOptedOutError(RaslError):
    """The recipient contact has opted out of messages (HTTP 403 `CONTACT_OPTED_OUT`)."""


class RaslNotFoundError(RaslError):
    """The contact, group, template, message or tenant does not exist (HTTP 404 `NOT_FOUND`)."""


class RaslValidationError(RaslError):
    """The request failed validation (HTTP 422 `VALIDATION_ERROR`), or a request model
    rejected a value before anything was sent.

    Attributes:
        field_errors: Messages per field name, such as `{"phone": ["Phone number is required"]}`.
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        self.field_errors = field_errors or {}
        super().__init__(message, **kwargs)

    def __str__(self) -> str:
        text = super().__str__()
        if self.field_errors:
            fields = "; ".join(
                f"{name}: {', '.join(messages)}" for name, messages in self.field_errors.items()
            )
            text += f" [{fields}]"
        return text


class RaslWhatsAppNotConfiguredError(RaslError):
    """The tenant has not connected WhatsApp (HTTP 422 `WHATSAPP_NOT_CONFIGURED`)."""


class RaslRateLimitError(RaslError):
    """The token's requests-per-minute limit is exhausted (HTTP 429 `RATE_LIMIT_EXCEEDED`).

    Attributes:
        retry_after: Seconds the client would have had to wait before the next attempt, when known.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class RaslSendFailedError(RaslError):
    """The WhatsApp Cloud API rejected the send (HTTP 500 `MESSAGE_SEND_FAILED`)."""


class RaslServerError(RaslError):
    """The server failed (HTTP 5xx, `INTERNAL_ERROR` or an unknown code)."""


class RaslConnectionError(RaslError):
    """The request could not be sent: DNS, connect or TLS failure before any byte went out."""

    retryable = True


class RaslNoResponseError(RaslError):
    """A read, update or delete was sent, but no response arrived after every retry.

    Raised after timeouts or dropped connections on GET, PATCH and DELETE requests, which are
    safe to repeat.
    """

    retryable = True


class RaslOutcomeUnknownError(RaslError):
    """A send or create was transmitted, but no response arrived (timeout or dropped connection).

    The message may have been delivered, so the client never repeats such a request on its own.
    Check the recipient's message history before sending again.
    """


class RaslOtpError(RaslValidationError):
    """Base class of the OTP verification errors.

    Attributes:
        attempts_remaining: Verification attempts left, when the API reports it.
        retry_after: Seconds until another attempt is allowed, when the API reports it.
    """

    def __init__(
        self,
        message: str,
        *,
        attempts_remaining: int | None = None,
        retry_after: float | None = None,
        **kwargs: Any,
    ) -> None:
        self.attempts_remaining = attempts_remaining
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class RaslOtpNotFoundError(RaslOtpError):
    """No active OTP exists for the phone and purpose (`OTP_NOT_FOUND`)."""


class RaslOtpExpiredError(RaslOtpError):
    """The OTP has expired; send a new one (`OTP_EXPIRED`)."""


class RaslOtpInvalidCodeError(RaslOtpError):
    """The code does not match (`INVALID_CODE`); `attempts_remaining` is the tries left."""


class RaslOtpMaxAttemptsError(RaslOtpError):
    """Too many failed attempts; request a new OTP (`MAX_ATTEMPTS_EXCEEDED`)."""


ERROR_CLASSES_BY_CODE: dict[str, type[RaslError]] = {
    "UNAUTHORIZED": RaslAuthenticationError,
    "INSUFFICIENT_SCOPE": RaslScopeError,
    "FEATURE_LIMIT_EXCEEDED": RaslPlanLimitError,
    "FEATURE_NOT_AVAILABLE": RaslFeatureNotAvailableError,
    "CONTACT_OPTED_OUT": RaslContactOptedOutError,
    "NOT_FOUND": RaslNotFoundError,
    "VALIDATION_ERROR": RaslValidationError,
    "WHATSAPP_NOT_CONFIGURED": RaslWhatsAppNotConfiguredError,
    "RATE_LIMIT_EXCEEDED": RaslRateLimitError,
    "MESSAGE_SEND_FAILED": RaslSendFailedError,
    "INTERNAL_ERROR": RaslServerError,
    "OTP_NOT_FOUND": RaslOtpNotFoundError,
    "OTP_EXPIRED": RaslOtpExpiredError,
    "INVALID_CODE": RaslOtpInvalidCodeError,
    "MAX_ATTEMPTS_EXCEEDED": RaslOtpMaxAttemptsError,
}
"""Exception class for each documented RASL error code."""

ERROR_CLASSES_BY_STATUS: dict[int, type[RaslError]] = {
    401: RaslAuthenticationError,
    403: RaslScopeError,
    404: RaslNotFoundError,
    422: RaslValidationError,
    429: RaslRateLimitError,
}
"""Fallback exception class for each HTTP status when the body names no known code."""
