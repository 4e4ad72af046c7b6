"""Declarative request validation with Laravel-style messages, and the JSON Schema of each body.

RASL runs on Laravel, so its validation accepts numeric strings as integers and `"true"`/`"1"`
as booleans, ignores unknown fields and reports messages per field. The sandbox does the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import UploadFile

from rasl_prefect.sandbox.errors import validation_failed

FieldKind = Literal["string", "integer", "boolean", "array", "object", "email", "url", "file"]

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_PATTERN = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
TRUE_VALUES = {True, "1", "true", "True", "on", "yes"}
FALSE_VALUES = {False, "0", "false", "False", "off", "no"}


@dataclass(frozen=True)
class Field:
    """The rules of one request field.

    `max_length`/`min_length` count characters for strings and items for arrays.
    """

    kind: FieldKind
    required: bool = False
    max_length: int | None = None
    min_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: re.Pattern[str] | None = None
    items: Field | None = None
    label: str | None = None
    required_message: str | None = None
    description: str | None = None


def _label(name: str, field: Field) -> str:
    return field.label or name.replace("_", " ").replace(".", " ")


def _check_length(name: str, field: Field, size: int, unit: str, errors: list[str]) -> None:
    label = _label(name, field)
    if field.max_length is not None and size > field.max_length:
        errors.append(f"The {label} field must not have more than {field.max_length} {unit}.")
    if field.min_length is not None and size < field.min_length:
        errors.append(f"The {label} field must have at least {field.min_length} {unit}.")


def _check_value(name: str, field: Field, value: Any, errors: dict[str, list[str]]) -> Any:
    """Check one present, non-null value and return it converted to its kind."""
    label = _label(name, field)
    messages: list[str] = []
    converted: Any = value

    if field.kind in ("string", "email", "url"):
        if not isinstance(value, str):
            messages.append(f"The {label} field must be a string.")
        else:
            _check_length(name, field, len(value), "characters", messages)
            if field.kind == "email" and not EMAIL_PATTERN.match(value):
                messages.append(f"The {label} field must be a valid email address.")
            if field.kind == "url" and not URL_PATTERN.match(value):
                messages.append(f"The {label} field must be a valid URL.")
            if field.pattern is not None and not field.pattern.match(value):
                messages.append(f"The {label} field format is invalid.")
            if field.choices is not None and value not in field.choices:
                messages.append(
                    f"The selected {label} is invalid; use one of: {', '.join(field.choices)}."
                )

    elif field.kind == "integer":
        if isinstance(value, bool):
            converted = None
        elif isinstance(value, int):
            converted = value
        elif isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            converted = int(value)
        else:
            converted = None
        if converted is None:
            messages.append(f"The {label} field must be an integer.")
        else:
            if field.minimum is not None and converted < field.minimum:
                messages.append(f"The {label} field must be at least {field.minimum}.")
            if field.maximum is not None and converted > field.maximum:
                messages.append(f"The {label} field must not be greater than {field.maximum}.")

    elif field.kind == "boolean":
        # Only scalars can be looked up in the value sets; a list or an object is unhashable.
        scalar = isinstance(value, (bool, int, str))
        if scalar and value in TRUE_VALUES:
            converted = True
        elif scalar and value in FALSE_VALUES:
            converted = False
        else:
            messages.append(f"The {label} field must be true or false.")

    elif field.kind == "array":
        if not isinstance(value, list):
            messages.append(f"The {label} field must be an array.")
        else:
            _check_length(name, field, len(value), "items", messages)
            if field.items is not None and not messages:
                converted = []
                for index, item in enumerate(value):
                    item_name = f"{name}.{index}"
                    if item is None:
                        errors.setdefault(item_name, []).append(
                            f"The {item_name} field is required."
                        )
                        continue
                    converted.append(_check_value(item_name, field.items, item, errors))

    elif field.kind == "object":
        if not isinstance(value, dict):
            messages.append(f"The {label} field must be an object.")

    elif field.kind == "file":
        if not isinstance(value, UploadFile):
            messages.append(f"The {label} field must be a file upload.")

    if messages:
        errors.setdefault(name, []).extend(messages)
    return converted


def check_fields(
    data: Mapping[str, Any], fields: Mapping[str, Field]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check `data` against `fields` and return the converted values and the messages per field.

    Absent, null and empty-string optional fields are left out of the result, as Laravel's
    `nullable` rule does; a required one gets the "field is required" message.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}

    for name, field in fields.items():
        value = data.get(name)
        # Laravel turns empty strings into null before validation.
        if value is None or (isinstance(value, str) and value == ""):
            if field.required:
                message = field.required_message or f"The {_label(name, field)} field is required."
                errors.setdefault(name, []).append(message)
            continue
        values[name] = _check_value(name, field, value, errors)

    return values, errors


def validate(data: Mapping[str, Any], fields: Mapping[str, Field]) -> dict[str, Any]:
    """Check `data` against `fields` and return the converted values.

    Raises:
        ApiError: 422 `VALIDATION_ERROR` with `details.errors` listing the messages per field.
    """
    values, errors = check_fields(data, fields)
    if errors:
        raise validation_failed(errors)
    return values


def field_schema(field: Field) -> dict[str, Any]:
    """Return the JSON Schema of one field."""
    schema: dict[str, Any]
    if field.kind in ("string", "email", "url"):
        schema = {"type": "string"}
        if field.kind == "email":
            schema["format"] = "email"
        if field.kind == "url":
            schema["format"] = "uri"
        if field.max_length is not None:
            schema["maxLength"] = field.max_length
        if field.min_length is not None:
            schema["minLength"] = field.min_length
        if field.choices is not None:
            schema["enum"] = list(field.choices)
        if field.pattern is not None:
            schema["pattern"] = field.pattern.pattern
    elif field.kind == "integer":
        schema = {"type": "integer"}
        if field.minimum is not None:
            schema["minimum"] = field.minimum
        if field.maximum is not None:
            schema["maximum"] = field.maximum
    elif field.kind == "boolean":
        schema = {"type": "boolean"}
    elif field.kind == "array":
        schema = {"type": "array"}
        if field.items is not None:
            schema["items"] = field_schema(field.items)
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        if field.min_length is not None:
            schema["minItems"] = field.min_length
    elif field.kind == "object":
        schema = {"type": "object"}
    else:
        schema = {"type": "string", "format": "binary"}
    if field.description:
        schema["description"] = field.description
    return schema


def object_schema(fields: Mapping[str, Field]) -> dict[str, Any]:
    """Return the JSON Schema of a request body made of `fields`."""
    return {
        "type": "object",
        "properties": {name: field_schema(field) for name, field in fields.items()},
        "required": [name for name, field in fields.items() if field.required],
    }
