"""WhatsApp message templates and the builder of their flat, numbered parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rasl_prefect.exceptions import RaslValidationError
from rasl_prefect.models.common import RaslResponse, Timestamp

MAX_BODY_PARAMETERS = 10
"""Body placeholders `{{1}}` to `{{10}}` map to the fields `field_1` to `field_10`."""

MAX_BUTTON_PARAMETERS = 3
"""Dynamic URL button parameters map to the fields `button_0` to `button_2`."""


class Template(RaslResponse):
    """A WhatsApp message template as stored by RASL.

    Attributes:
        id: The internal integer id.
        template_id: The WhatsApp template id, which `get_template` takes.
        template_name: The template name used to send it.
        language: The language code.
        category: `MARKETING`, `UTILITY` or `AUTHENTICATION`.
        status: `APPROVED`, `PENDING` or `REJECTED`.
        header_data_format: `TEXT`, `IMAGE`, `VIDEO`, `DOCUMENT` or `NONE`.
        header_params_count: Placeholders in the header.
        body_data: The body text with `{{n}}` placeholders.
        body_params_count: Placeholders in the body, so `field_1` to `field_N` to send.
        buttons_data: The buttons, as a JSON-encoded string.
    """

    id: int | None = None
    template_id: str | None = None
    template_name: str | None = None
    name: str | None = None
    language: str | None = None
    category: str | None = None
    status: str | None = None
    header_data_format: str | None = None
    header_data_text: str | None = None
    header_params_count: int | None = None
    header_file_url: str | None = None
    header_variable_value: Any = None
    body_data: str | None = None
    body_params_count: int | None = None
    body_variable_value: Any = None
    footer_data: str | None = None
    footer_params_count: int | None = None
    buttons_data: Any = None
    message_send_ttl_seconds: int | None = None
    add_security_recommendation: bool | None = None
    code_expiration_minutes: int | None = None
    otp_button_config: Any = None
    components: Any = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class TemplateSyncResult(RaslResponse):
    """The result of `sync_templates`; its fields are undocumented and arrive as extra fields."""


def build_template_parameters(
    body: Sequence[str] | Mapping[int, str] | None = None,
    header: str | None = None,
    buttons: Sequence[str] | Mapping[int, str] | None = None,
    body_params_count: int | None = None,
) -> dict[str, str]:
    """Build the flat template fields `header_field_1`, `field_N` and `button_N`.

    Args:
        body: Body values in placeholder order (`["Sara", "#1042"]` fills `{{1}}` and `{{2}}`),
            or a mapping from placeholder number to value (`{1: "Sara"}`).
        header: The value of a TEXT header's `{{1}}`.
        buttons: Dynamic URL button values in button order, or a mapping from button index
            (0 to 2) to value.
        body_params_count: The template's `body_params_count`, when known; every placeholder
            from 1 to this count must then have a value.

    Returns:
        The fields to pass as `parameters` to `send_template_message`.

    Raises:
        RaslValidationError: A placeholder number is outside 1 to 10, a button index is outside
            0 to 2, or the values do not match `body_params_count`.

    Examples:
        >>> build_template_parameters(body=["Sara"], header="Order", buttons=["track/1042"])
        {'header_field_1': 'Order', 'field_1': 'Sara', 'button_0': 'track/1042'}
    """
    field_errors: dict[str, list[str]] = {}
    parameters: dict[str, str] = {}

    if header is not None:
        parameters["header_field_1"] = header

    body_values = _numbered(body, first=1)
    for number, value in body_values.items():
        if not 1 <= number <= MAX_BODY_PARAMETERS:
            field_errors.setdefault("body", []).append(
                f"placeholder {number} is outside 1 to {MAX_BODY_PARAMETERS}"
            )
            continue
        parameters[f"field_{number}"] = value

    if body_params_count is not None:
        expected = set(range(1, body_params_count + 1))
        missing = sorted(expected - set(body_values))
        extra = sorted(set(body_values) - expected)
        if missing:
            field_errors.setdefault("body", []).append(
                f"the template has {body_params_count} body placeholders; missing values for "
                f"{', '.join(str(number) for number in missing)}"
            )
        if extra:
            field_errors.setdefault("body", []).append(
                f"the template has {body_params_count} body placeholders; no placeholder "
                f"{', '.join(str(number) for number in extra)}"
            )

    for index, value in _numbered(buttons, first=0).items():
        if not 0 <= index < MAX_BUTTON_PARAMETERS:
            field_errors.setdefault("buttons", []).append(
                f"button index {index} is outside 0 to {MAX_BUTTON_PARAMETERS - 1}"
            )
            continue
        parameters[f"button_{index}"] = value

    if field_errors:
        summary = "; ".join(f"{name}: {', '.join(errors)}" for name, errors in field_errors.items())
        raise RaslValidationError(
            f"Invalid template parameters, nothing was sent: {summary}",
            field_errors=field_errors,
            code="CLIENT_VALIDATION_ERROR",
        )
    return parameters


def _numbered(values: Sequence[str] | Mapping[int, str] | None, *, first: int) -> dict[int, str]:
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return {int(number): str(value) for number, value in values.items()}
    return {first + offset: str(value) for offset, value in enumerate(values)}
