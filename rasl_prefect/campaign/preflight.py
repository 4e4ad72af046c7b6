"""Checks that run before a campaign has any side effect, and in a dry run."""

from __future__ import annotations

from collections.abc import Sequence

from rasl_prefect.client import RaslClient
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.models.templates import Template

MERGE_FIELDS = {
    "@{contact_first_name}": "firstname",
    "@{contact_last_name}": "lastname",
    "@{contact_email}": "email",
    "@{contact_phone}": "phone",
}
"""RASL merge fields, replaced with contact data by RASL, and the contact field each reads."""

IMPORT_SCOPES = [
    "contacts:read",
    "contacts:write",
    "groups:read",
    "groups:write",
    "templates:read",
    "messages:send",
]
"""Scopes a contacts import that groups and messages its contacts needs."""


class CampaignPreflightError(ValueError):
    """A campaign cannot start; nothing was created or sent."""


def is_merge_field(value: str) -> bool:
    """Return True when a template field is a RASL merge field such as `@{contact_first_name}`."""
    return value.startswith("@{") and value.endswith("}")


def check_template_fields(template_fields: Sequence[str]) -> None:
    """Raise when a merge field in `template_fields` is not one RASL documents."""
    for field in template_fields:
        if is_merge_field(field) and field not in MERGE_FIELDS:
            known = ", ".join(MERGE_FIELDS)
            raise CampaignPreflightError(
                f"template field {field!r} is not a RASL merge field; use one of {known} "
                "or a column name of the file."
            )


def check_scopes(credentials: RaslCredentials, required: Sequence[str]) -> None:
    """Raise when the credentials declare scopes and some required ones are missing."""
    missing = credentials.missing_scopes(list(required))
    if missing:
        raise CampaignPreflightError(
            f"the token lacks the scopes {', '.join(missing)}; create a token with "
            f"{', '.join(required)} and save it in the credentials block (declared scopes: "
            f"{', '.join(credentials.scopes)})."
        )


def find_approved_template(
    client: RaslClient, template_name: str, language: str, parameter_count: int
) -> Template:
    """Return the APPROVED template in the language, checking it takes `parameter_count` values.

    Raises:
        CampaignPreflightError: The template is missing, not approved, lacks the language, or
            takes another number of body parameters.
    """
    candidates = [
        template
        for template in client.iter_templates(search=template_name)
        if (template.template_name or template.name) == template_name
    ]
    if not candidates:
        raise CampaignPreflightError(
            f"template {template_name!r} was not found in RASL; check the name, or run "
            "sync_templates after creating it in Meta Business Manager."
        )

    in_language = [template for template in candidates if template.language == language]
    if not in_language:
        languages = ", ".join(sorted({str(template.language) for template in candidates}))
        raise CampaignPreflightError(
            f"template {template_name!r} has no {language!r} version; its languages are "
            f"{languages}: pass one of them as language."
        )

    template = in_language[0]
    if (template.status or "").upper() != "APPROVED":
        raise CampaignPreflightError(
            f"template {template_name!r} ({language}) is {template.status}, not APPROVED; "
            "only approved templates can be sent."
        )

    expected = template.body_params_count
    if expected is not None and expected != parameter_count:
        raise CampaignPreflightError(
            f"template {template_name!r} ({language}) takes {expected} body parameters but "
            f"template_fields gives {parameter_count}; list exactly {expected} columns or "
            "merge fields in template_fields."
        )
    return template
