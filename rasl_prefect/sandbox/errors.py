"""The exception that sandbox handlers raise to return a RASL error body."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A RASL API error: the HTTP status, the machine-readable code, a message and details.

    Attributes:
        status_code: The HTTP status of the response.
        code: The RASL error code, such as `VALIDATION_ERROR`.
        message: A sentence that names the value and the fix.
        details: Extra structured data, such as `{"errors": {"phone": [...]}}`.
        headers: Extra response headers, such as `Retry-After`.
    """

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def not_found(resource: str, identifier: object) -> ApiError:
    """Build the 404 `NOT_FOUND` error for a missing resource."""
    return ApiError(
        404,
        "NOT_FOUND",
        f"{resource} {identifier} not found; check the id or list the {resource.lower()}s first.",
    )


def validation_failed(errors: dict[str, list[str]]) -> ApiError:
    """Build the 422 `VALIDATION_ERROR` error from per-field messages, Laravel style."""
    messages = [message for field_messages in errors.values() for message in field_messages]
    summary = messages[0] if messages else "The request is invalid."
    if len(messages) > 1:
        others = len(messages) - 1
        summary += f" (and {others} more error{'s' if others > 1 else ''})"
    return ApiError(422, "VALIDATION_ERROR", summary, {"errors": errors})


def field_error(field: str, message: str) -> ApiError:
    """Build a 422 `VALIDATION_ERROR` error for one field."""
    return validation_failed({field: [message]})
