"""Send the welcome template to a contact that RASL reports as new, once per contact.

The webhook receiver turns RASL's `contact.created` webhook into a `rasl.contact.created` Prefect
event. The `welcome-new-contact` deployment in `prefect.yaml` runs this flow for each of them
through a deployment trigger, with the contact's id, phone and first name from the event.
"""

# No `from __future__ import annotations`, as in the order flow: with it, runs of that flow served
# by `flow.serve` (Prefect 3.9.1) failed parameter validation, because the run process could not
# resolve `Annotated` in the string annotations.
import re
from typing import Annotated

from prefect import flow
from pydantic import Field

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign.models import Recipient
from rasl_prefect.campaign.single import NotificationResult, send_template_once
from rasl_prefect.exceptions import RaslError
from rasl_prefect.importing.phones import normalize_phone
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.tasks.policies import require_scopes

# RASL stores and sends phones as digits only, with the country code and without `+`.
RASL_PHONE_PATTERN = re.compile(r"[1-9][0-9]{6,14}")


def welcome_campaign_id(contact_id: int, tenant_id: str = "") -> str:
    """Return the ledger campaign of a contact's welcome, such as `rasl-welcome-123-4567`."""
    tenant = re.sub(r"[^0-9A-Za-z]+", "-", tenant_id).strip("-")
    prefix = f"rasl-welcome-{tenant}" if tenant else "rasl-welcome"
    return f"{prefix}-{contact_id}"


def contact_phone(phone: str) -> str:
    """Return a RASL contact phone in E.164 form: `966500000011` becomes `+966500000011`."""
    text = phone.strip()
    return "+" + text if RASL_PHONE_PATTERN.fullmatch(text) else text


@flow(
    name="welcome-new-contact",
    description="Sends the welcome template once to each contact created in RASL.",
)
def welcome_new_contact(
    contact_id: Annotated[int, Field(ge=1)],
    phone: str | None,
    credentials: RaslCredentials,
    firstname: str | None = None,
    tenant_id: str | int | None = None,
    template_name: Annotated[str, Field(min_length=1)] = "welcome_offer",
    language: Annotated[str, Field(min_length=2, max_length=10)] = "en",
    default_first_name: str = "there",
) -> NotificationResult:
    """Send the welcome template to a new contact, at most once per contact.

    Args:
        contact_id: The RASL contact id (`data.resource.id` of the webhook).
        phone: The contact's phone as RASL sends it, digits with the country code. When it
            is missing, the contact is read from RASL (the token then needs `contacts:read`).
        credentials: The RASL credentials block; the token needs `messages:send`.
        firstname: The contact's first name, the template's only body parameter.
        tenant_id: The RASL tenant (`tenant.id` of the webhook); it keeps the ledgers of two
            RASL accounts that share result storage apart.
        template_name: The APPROVED template to send, with one body parameter.
        language: The template's language code.
        default_first_name: The name used when the contact has none.

    Returns:
        What the run did: `sent`, `already_sent`, or `skipped` with the reason.

    Raises:
        RaslError: The send failed, or an earlier run stopped while sending it (`unknown`).
    """
    logger = get_logger()
    campaign_id = welcome_campaign_id(contact_id, str(tenant_id or ""))

    if not phone:
        # RASL's webhook documentation lists the contact attributes without `phone`, so a
        # webhook may lack it, and the contact is read from the API instead.
        require_scopes(credentials, "contacts:read")
        contact = credentials.get_client().get_contact(contact_id)
        phone = contact.phone
        firstname = firstname or contact.firstname
        logger.info("Contact %s: read the phone %s from RASL", contact_id, mask_phone(phone))

    normalized = normalize_phone(contact_phone(phone or ""))
    if normalized.e164 is None:
        reason = f"the contact's phone {mask_phone(phone)} is invalid: {normalized.reason}"
        logger.warning("Contact %s: no welcome, %s", contact_id, reason)
        return NotificationResult(
            status="skipped",
            reason=reason,
            campaign_id=campaign_id,
            masked_phone=mask_phone(phone),
            contact_id=contact_id,
        )

    name = (firstname or "").strip() or default_first_name
    outcome = send_template_once(
        credentials,
        Recipient(phone=normalized.e164, contact_id=contact_id, parameters=[name]),
        campaign_id=campaign_id,
        template_name=template_name,
        language=language,
    )
    result = NotificationResult.from_outcome(outcome, campaign_id)
    logger.info("Contact %s: welcome to %s is %s", contact_id, result.masked_phone, result.status)

    if result.status in ("failed", "unknown"):
        raise RaslError(
            f"The {template_name} welcome for contact {contact_id} is {result.status}: "
            f"{result.reason}. The ledger campaign {campaign_id} keeps it from being sent "
            "again, except after a failure that provably had no effect.",
            code=result.error_code,
        )
    return result
