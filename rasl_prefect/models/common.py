"""Base models shared by every API area: lenient responses, strict requests, phone checks."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from rasl_prefect.exceptions import RaslValidationError

PHONE_PATTERN = re.compile(r"^[0-9+\-\s()]+$")
"""Characters the API accepts in a phone number: digits, `+`, `-`, spaces and parentheses."""

Timestamp = Annotated[datetime | str, Field(union_mode="left_to_right")]
"""An ISO 8601 timestamp, kept as the raw string when it does not parse as one."""

RequestT = TypeVar("RequestT", bound="RaslRequest")


class RaslResponse(BaseModel):
    """Base of every response model: unknown fields are kept and every field may be missing.

    The `request_id` property is the `meta.request_id` of the response that carried the
    object, for support tickets and logs.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, coerce_numbers_to_str=True)

    _request_id: str | None = PrivateAttr(default=None)
    _api_message: str | None = PrivateAttr(default=None)

    @property
    def request_id(self) -> str | None:
        """The `meta.request_id` of the response, when the server sent one."""
        return self._request_id

    @property
    def api_message(self) -> str | None:
        """The envelope's human-readable `message`, such as "Contact created successfully"."""
        return self._api_message


class RaslRequest(BaseModel):
    """Base of every request model: unknown fields are rejected, values checked on creation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, populate_by_name=True)

    @classmethod
    def build(cls: type[RequestT], **fields: Any) -> RequestT:
        """Validate `fields` into a request, raising `RaslValidationError` on the first problem.

        Args:
            **fields: The request fields; fields set to None are left out.

        Returns:
            The validated request model.

        Raises:
            RaslValidationError: A field is missing or breaks a documented limit; `field_errors`
                names each field with the limit it broke.
        """
        values = {name: value for name, value in fields.items() if value is not None}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            # Not chained: pydantic's error text repeats the input, phone numbers included.
            raise validation_error_from_pydantic(cls.__name__, error) from None

    def to_body(self) -> dict[str, Any]:
        """Return the JSON body for the request, without unset optional fields."""
        return self.model_dump(mode="json", exclude_none=True, by_alias=True)


def validation_error_from_pydantic(model_name: str, error: ValidationError) -> RaslValidationError:
    """Convert a pydantic `ValidationError` into a `RaslValidationError` naming each field.

    Args:
        model_name: The request model that failed, named in the message.
        error: The pydantic error.

    Returns:
        A `RaslValidationError` whose `field_errors` maps dotted field paths to messages.
    """
    field_errors: dict[str, list[str]] = {}
    for problem in error.errors(include_url=False, include_input=False):
        location = ".".join(str(part) for part in problem["loc"]) or "request"
        message = str(problem["msg"])
        if problem["type"] == "string_pattern_mismatch":
            message = "does not match the expected format"
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        field_errors.setdefault(location, []).append(message)

    # RaslValidationError's text lists the field errors after this message.
    return RaslValidationError(
        f"Invalid {model_name}, nothing was sent",
        field_errors=field_errors,
        code="CLIENT_VALIDATION_ERROR",
        retryable=False,
    )


def check_phone(value: str, *, min_length: int = 10, max_length: int = 20) -> str:
    """Check a recipient phone number against the API's documented format.

    Args:
        value: The phone number with its country code, such as `+966500000011`.
        min_length: The minimum number of characters.
        max_length: The maximum number of characters.

    Returns:
        The unchanged phone number.

    Raises:
        ValueError: The number has characters other than digits, `+`, `-`, spaces and
            parentheses, or its length is outside the limits.
    """
    if not PHONE_PATTERN.match(value):
        raise ValueError(
            "phone may contain only digits, '+', '-', spaces and parentheses, "
            "for example +966500000011"
        )
    if not min_length <= len(value) <= max_length:
        raise ValueError(
            f"phone must be {min_length} to {max_length} characters including the country code, "
            f"got {len(value)}"
        )
    return value
