"""Template sends: find the approved template and check and fill its parameters."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from rasl_prefect.sandbox.errors import ApiError, field_error, validation_failed
from rasl_prefect.sandbox.messaging import apply_merge_fields
from rasl_prefect.sandbox.state import SandboxState

PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
MAX_BODY_FIELDS = 10
MAX_BUTTONS = 3
HEADER_MEDIA = ("IMAGE", "VIDEO", "DOCUMENT")


@dataclass
class RenderedTemplate:
    """A template filled with the request's parameters."""

    template: dict[str, Any]
    text: str
    header_url: str | None
    otp_code: str | None
    """The code generated for `auto_generate_otp`, else None."""


def find_template(state: SandboxState, name: str, language: str) -> dict[str, Any]:
    """Return the template with this name and language.

    Raises:
        ApiError: 404 when no template has the name, 422 when it lacks the language.
    """
    same_name = [
        template for template in state.templates.values() if template["template_name"] == name
    ]
    if not same_name:
        raise ApiError(
            404,
            "NOT_FOUND",
            f"Template {name!r} not found; list the templates or run Sync Templates after creating "
            "it in Meta.",
        )
    for template in same_name:
        if template["language"] == language:
            return template
    languages = ", ".join(sorted(template["language"] for template in same_name))
    raise field_error(
        "language",
        f"Template {name!r} has no {language!r} translation; available languages: {languages}.",
    )


def dynamic_buttons(template: dict[str, Any]) -> list[int]:
    """Return the indexes of URL buttons whose URL takes a parameter (`button_N`).

    OTP buttons (`otp{{1}}` in AUTHENTICATION templates) are filled with the code instead.
    """
    if not template.get("buttons_data") or template["category"] == "AUTHENTICATION":
        return []
    buttons = json.loads(template["buttons_data"])
    return [index for index, button in enumerate(buttons) if "{{" in str(button.get("url", ""))]


def _fill(text: str, parameters: dict[int, str]) -> str:
    return PLACEHOLDER.sub(lambda match: parameters.get(int(match.group(1)), match.group(0)), text)


def render_template_send(
    state: SandboxState, values: dict[str, Any], contact: dict[str, Any]
) -> RenderedTemplate:
    """Check a Send Template request against its template and return the filled template.

    Raises:
        ApiError: 404 for an unknown template, 422 for a template that is not APPROVED, a
            missing language, a missing or extra parameter, or an OTP request on a template
            that is not AUTHENTICATION.
    """
    template = find_template(state, values["template_name"], values["language"])
    name = template["template_name"]
    if template["status"] != "APPROVED":
        raise field_error(
            "template_name",
            f"Template {name!r} ({template['language']}) is {template['status']}; only APPROVED "
            "templates can be sent.",
        )

    errors: dict[str, list[str]] = {}
    otp_code = None
    if values.get("auto_generate_otp"):
        if template["category"] != "AUTHENTICATION":
            raise field_error(
                "auto_generate_otp",
                f"Template {name!r} is {template['category']}; auto_generate_otp needs an "
                "AUTHENTICATION template.",
            )
        otp_code = f"{secrets.randbelow(1_000_000):06d}"
        values[f"field_{values.get('otp_field_number', 1)}"] = otp_code

    body_count = template["body_params_count"]
    parameters: dict[int, str] = {}
    for number in range(1, MAX_BODY_FIELDS + 1):
        field = f"field_{number}"
        if number <= body_count:
            if field not in values:
                errors[field] = [
                    f"The {field} field is required: template {name!r} has {body_count} body "
                    "parameters."
                ]
            else:
                parameters[number] = apply_merge_fields(values[field], contact)
        elif field in values:
            errors[field] = [
                f"The {field} field is not used: template {name!r} has {body_count} body "
                "parameters."
            ]

    header_format = template["header_data_format"]
    header_url = None
    if header_format == "TEXT" and template["header_params_count"] > 0:
        if "header_field_1" not in values:
            errors["header_field_1"] = [
                f"The header field 1 field is required: template {name!r} has a TEXT header with a "
                "parameter."
            ]
    elif "header_field_1" in values:
        errors["header_field_1"] = [
            f"The header field 1 field is not used: template {name!r} has no header parameter."
        ]
    if header_format in HEADER_MEDIA:
        kind = header_format.lower()
        header_url = values.get(f"header_{kind}_url")
        if header_url is None:
            errors[f"header_{kind}_url"] = [
                f"The header {kind} url or header {kind} file field is required: template {name!r} "
                f"has a {header_format} header."
            ]

    needed_buttons = dynamic_buttons(template)
    for index in range(MAX_BUTTONS):
        field = f"button_{index}"
        if index in needed_buttons and field not in values:
            errors[field] = [
                f"The {field} field is required: button {index} of template {name!r} has a dynamic "
                "URL."
            ]
        elif index not in needed_buttons and field in values:
            errors[field] = [
                f"The {field} field is not used: button {index} of template {name!r} takes no "
                "parameter."
            ]

    if errors:
        raise validation_failed(errors)

    text = _fill(template["body_data"], parameters)
    if header_format == "TEXT" and template["header_data_text"]:
        header_text = _fill(template["header_data_text"], {1: values.get("header_field_1", "")})
        text = f"{header_text}\n{text}"
    return RenderedTemplate(template=template, text=text, header_url=header_url, otp_code=otp_code)
