"""Conversion of error responses, in every body layout seen in the wild, into `RaslError`s."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from rasl_prefect.exceptions import (
    ERROR_CLASSES_BY_CODE,
    ERROR_CLASSES_BY_STATUS,
    RaslError,
    RaslOtpError,
    RaslRateLimitError,
    RaslServerError,
    RaslValidationError,
)

ERROR_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
MAX_TEXT_MESSAGE_LENGTH = 300


def error_from_response(
    response: httpx.Response,
    *,
    request_id: str | None,
    retryable: bool,
    secret: str | None = None,
) -> RaslError:
    """Build the `RaslError` subclass that matches an error response.

    The error body layout is undocumented, so this reads `{"error": {"code", "message",
    "details"}}`, top-level `code`/`message`/`errors`, `error` as a string, Laravel's
    `{"message", "errors": {"phone": [...]}}`, plain text, HTML pages and empty bodies.
    The class comes from the error code when it is known, else from the HTTP status.

    Args:
        response: The error response.
        request_id: The request id read from the body or headers.
        retryable: Whether repeating the request is safe and may succeed.
        secret: A value that must never appear in the message (the token); it is masked.

    Returns:
        The error, not raised.
    """
    status = response.status_code
    body = _decode_json(response)

    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = {}
    field_errors: dict[str, list[str]] = {}

    if isinstance(body, Mapping):
        code, message, details, field_errors = _read_json_error(body)
    elif body is None:
        message = _describe_non_json(response)

    if not message:
        message = f"the server returned HTTP {status} {response.reason_phrase or ''}".strip()
    if secret:
        # A server may echo the request's headers back; keep the token out of the error.
        message = _mask(message, secret)
        details = _mask(details, secret)
        field_errors = _mask(field_errors, secret)

    error_class = _error_class(code, status)
    kwargs: dict[str, Any] = {
        "status_code": status,
        "code": code,
        "request_id": request_id,
        "details": details,
        "retryable": retryable,
    }
    if issubclass(error_class, RaslValidationError):
        kwargs["field_errors"] = field_errors
    if issubclass(error_class, RaslOtpError):
        kwargs["attempts_remaining"] = _find_number(body, "attempts_remaining")
        kwargs["retry_after"] = _find_number(body, "retry_after")
    if issubclass(error_class, RaslRateLimitError):
        kwargs["retry_after"] = _find_number(body, "retry_after")
    return error_class(message, **kwargs)


def find_retry_after_in_body(response: httpx.Response) -> float | None:
    """Return a `retry_after` number from anywhere in a JSON body, if there is one."""
    value = _find_number(_decode_json(response), "retry_after")
    return None if value is None else float(value)


def _mask(value: Any, secret: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, Mapping):
        return {key: _mask(item, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secret) for item in value]
    return value


def _error_class(code: str | None, status: int) -> type[RaslError]:
    if code and code in ERROR_CLASSES_BY_CODE:
        return ERROR_CLASSES_BY_CODE[code]
    if status in ERROR_CLASSES_BY_STATUS:
        return ERROR_CLASSES_BY_STATUS[status]
    if status >= 500:
        return RaslServerError
    return RaslError


def _decode_json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


def _describe_non_json(response: httpx.Response) -> str | None:
    text = response.text.strip()
    if not text:
        return f"the server returned HTTP {response.status_code} with an empty body"
    content_type = response.headers.get("content-type", "")
    if "html" in content_type or text.lstrip().startswith("<"):
        # A proxy or gateway page: the markup is noise, so the message names the status only.
        return (
            f"the server or a proxy in front of it returned HTTP {response.status_code} "
            "with an HTML page instead of an API error"
        )
    if len(text) > MAX_TEXT_MESSAGE_LENGTH:
        text = text[:MAX_TEXT_MESSAGE_LENGTH] + "..."
    return text


def _read_json_error(
    body: Mapping[str, Any],
) -> tuple[str | None, str | None, dict[str, Any], dict[str, list[str]]]:
    code: str | None = None
    message: str | None = None
    details: dict[str, Any] = {}
    field_errors: dict[str, list[str]] = {}

    error = body.get("error")
    if isinstance(error, Mapping):
        code = _text(error.get("code"))
        message = _text(error.get("message"))
        if isinstance(error.get("details"), Mapping):
            details = dict(error["details"])
        for key in ("errors", "fields"):
            field_errors.update(_field_errors(error.get(key)))
    elif isinstance(error, str):
        if ERROR_CODE_PATTERN.match(error):
            code = error
        else:
            message = error

    code = code or _text(body.get("code")) or _text(body.get("error_code"))
    message = message or _text(body.get("message")) or _text(body.get("detail"))
    if not details and isinstance(body.get("details"), Mapping):
        details = dict(body["details"])

    field_errors.update(_field_errors(body.get("errors")))
    if not field_errors:
        field_errors.update(_field_errors(details))
    return code, message, details, field_errors


def _field_errors(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, list[str]] = {}
    for field, messages in value.items():
        if isinstance(messages, str):
            found[str(field)] = [messages]
        elif isinstance(messages, list) and all(isinstance(item, str) for item in messages):
            found[str(field)] = list(messages)
    return found


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _find_number(body: Any, key: str) -> int | float | None:
    for candidate in _walk(body):
        value = candidate.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                continue
    return None


def _walk(value: Any, depth: int = 0) -> Iterator[Mapping[str, Any]]:
    if depth > 5:
        return
    if isinstance(value, Mapping):
        yield value
        for child in value.values():
            yield from _walk(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child, depth + 1)
