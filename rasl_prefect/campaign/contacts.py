"""Creating campaign contacts in batches and finding the ids of those that already existed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from rasl_prefect.campaign.repeat import repeat_idempotent
from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import RaslPlanLimitError
from rasl_prefect.logging import get_logger, mask_phone

MAX_PAGE_SIZE = 100


class NewContact(BaseModel):
    """A contact to create, as read from a file."""

    phone: str = Field(description="The phone number in E.164 form.")
    firstname: str = Field(default="", description="The first name.")
    lastname: str = Field(default="", description="The last name.")
    email: str = Field(default="", description="The e-mail address.")
    company: str = Field(default="", description="The company.")
    line_number: int | None = Field(default=None, description="The source file line.")


class ContactBatchResult(BaseModel):
    """The result of one batch create, with the RASL id of every phone that now has a contact."""

    ids_by_phone: dict[str, int] = Field(default_factory=dict)
    created: int = 0
    existing: int = 0
    failed: dict[str, str] = Field(
        default_factory=dict, description="The reason per phone of contacts that were not created."
    )
    plan_limit_reached: bool = False
    requests: int = 0


def _digits(phone: str | None) -> str:
    return "".join(character for character in phone or "" if character.isdigit())


def _contact_payload(
    contact: NewContact, *, source_id: int, status_id: int, contact_type: str
) -> dict[str, Any]:
    # RASL requires a first and a last name; an export row may have neither.
    firstname = contact.firstname or contact.lastname or "Unknown"
    lastname = contact.lastname if contact.firstname and contact.lastname else "-"
    payload: dict[str, Any] = {
        "firstname": firstname[:255],
        "lastname": lastname[:255],
        "phone": contact.phone,
        "type": contact_type,
        "source_id": source_id,
        "status_id": status_id,
    }
    if contact.email:
        payload["email"] = contact.email
    if contact.company:
        payload["company"] = contact.company[:255]
    return payload


def _describe_item_errors(errors: Any) -> str:
    # RASL gives the errors of a batch item as {"field": ["message", ...]}, like a 422 response.
    if not errors:
        return "rejected by RASL"
    if not isinstance(errors, dict):
        return str(errors)
    parts = []
    for field, messages in errors.items():
        listed = messages if isinstance(messages, list) else [messages]
        parts.append(f"{field}: {' '.join(str(message) for message in listed)}")
    return ", ".join(parts)


def create_contacts(
    client: RaslClient,
    contacts: Sequence[NewContact],
    *,
    source_id: int,
    status_id: int,
    contact_type: str = "lead",
) -> ContactBatchResult:
    """Batch-create contacts, skipping phones that exist, and return every phone's contact id.

    The ids of contacts that already existed are found at the lowest request cost: one search
    per phone, or one listing of all contacts when that takes fewer pages.

    Args:
        client: The RASL client.
        contacts: At most 100 contacts, with distinct phones.
        source_id: An existing RASL contact source.
        status_id: An existing RASL contact status.
        contact_type: `lead`, `customer` or `guest`.

    Returns:
        The ids by E.164 phone, the counts and the reasons of contacts not created. After the
        plan's contact limit is reached, only the contacts that already existed have ids.

    Raises:
        RaslServerError: The last attempt of the batch request got a 5xx response.
        RaslOutcomeUnknownError: The last attempt of the batch request got no response.
    """
    result = ContactBatchResult()
    if not contacts:
        return result

    by_digits = {_digits(contact.phone): contact.phone for contact in contacts}
    payloads = [
        _contact_payload(
            contact, source_id=source_id, status_id=status_id, contact_type=contact_type
        )
        for contact in contacts
    ]

    # Skipping existing phones makes the batch safe to repeat: contacts created by an attempt
    # whose response was lost are skipped by the next attempt and found by phone below.
    # NOTE: such contacts are then counted as existing, not created.
    try:
        batch = repeat_idempotent(
            lambda: client.batch_create_contacts(
                payloads, continue_on_error=True, skip_duplicates=True
            ),
            description=f"Batch-creating {len(payloads)} contacts",
        )
    except RaslPlanLimitError as error:
        result.requests += 1
        result.plan_limit_reached = True
        return find_existing_contacts(
            client, contacts, reason=f"plan limit reached: {error.message}", result=result
        )
    result.requests += 1

    for created in batch.created:
        phone = by_digits.get(_digits(created.phone))
        if phone is not None and created.id is not None:
            result.ids_by_phone[phone] = created.id
    result.created = len(result.ids_by_phone)

    for problem in batch.errors:
        index = problem.index
        if index is None or not 0 <= index < len(contacts):
            continue
        contact = contacts[index]
        reason = problem.reason or _describe_item_errors(problem.errors)
        if "limit" in reason.lower():
            result.plan_limit_reached = True
        result.failed[contact.phone] = str(reason)

    unresolved = [
        contact.phone
        for contact in contacts
        if contact.phone not in result.ids_by_phone and contact.phone not in result.failed
    ]
    found = find_contact_ids(client, unresolved)
    result.requests += found.requests
    result.ids_by_phone.update(found.ids_by_phone)
    result.existing = len(found.ids_by_phone)
    for phone in unresolved:
        if phone not in found.ids_by_phone:
            result.failed[phone] = "RASL skipped the contact but no contact has this phone"

    get_logger().info(
        "Batch-created contacts: %d created, %d existing, %d failed, %d requests",
        result.created,
        result.existing,
        len(result.failed),
        result.requests,
    )
    return result


def find_existing_contacts(
    client: RaslClient,
    contacts: Sequence[NewContact],
    *,
    reason: str,
    result: ContactBatchResult | None = None,
) -> ContactBatchResult:
    """Find which of `contacts` already exist in RASL, without creating any.

    Used once contacts can no longer be created, such as after the plan's contact limit was
    reached, so that the contacts that exist are still grouped and messaged.

    Args:
        client: The RASL client.
        contacts: The contacts to look up, with distinct phones.
        reason: Why the others were not created, stored per phone in `failed`.
        result: A result to add to, such as one that already counts a failed batch request.

    Returns:
        The ids of the contacts found (counted as existing) and `reason` for the others.
    """
    result = result if result is not None else ContactBatchResult()
    found = find_contact_ids(client, [contact.phone for contact in contacts])
    result.requests += found.requests
    result.ids_by_phone.update(found.ids_by_phone)
    result.existing += len(found.ids_by_phone)
    for contact in contacts:
        if contact.phone not in found.ids_by_phone:
            result.failed[contact.phone] = reason
    return result


class _FoundContacts(BaseModel):
    ids_by_phone: dict[str, int] = Field(default_factory=dict)
    requests: int = 0


def find_contact_ids(client: RaslClient, phones: Sequence[str]) -> _FoundContacts:
    """Find the contact ids of phones that exist in RASL, at the lowest request cost.

    One search per phone costs `len(phones)` requests; a listing of every contact costs one
    request per 100 contacts. The first listing page gives the total, so the cheaper path is
    taken after it.
    """
    found = _FoundContacts()
    if not phones:
        return found

    wanted = {_digits(phone): phone for phone in phones}

    if len(phones) <= 2:
        _search_each(client, wanted, found)
        return found

    first_page = client.list_contacts(page=1, per_page=MAX_PAGE_SIZE)
    found.requests += 1
    _match(first_page.items, wanted, found)

    remaining_pages = 0
    if first_page.total is not None:
        remaining_pages = max(0, math.ceil(first_page.total / MAX_PAGE_SIZE) - 1)
    elif first_page.has_next_page():
        remaining_pages = len(wanted) + 1

    if not wanted:
        return found

    if remaining_pages <= len(wanted):
        page = first_page
        while wanted and page.items and page.has_next_page():
            page = client.list_contacts(page=page.page + 1, per_page=MAX_PAGE_SIZE)
            found.requests += 1
            _match(page.items, wanted, found)
    else:
        _search_each(client, wanted, found)

    return found


def _match(items: Sequence[Any], wanted: dict[str, str], found: _FoundContacts) -> None:
    for contact in items:
        digits = _digits(contact.phone)
        phone = wanted.pop(digits, None)
        if phone is not None and contact.id is not None:
            found.ids_by_phone[phone] = contact.id


def _search_each(client: RaslClient, wanted: dict[str, str], found: _FoundContacts) -> None:
    logger = get_logger()
    for digits, phone in list(wanted.items()):
        page = client.list_contacts(search=digits, per_page=MAX_PAGE_SIZE)
        found.requests += 1
        _match(page.items, {digits: phone}, found)
        if phone not in found.ids_by_phone:
            logger.info("No contact found for %s", mask_phone(phone))
        wanted.pop(digits, None)
