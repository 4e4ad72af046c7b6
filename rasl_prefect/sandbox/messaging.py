"""Steps shared by every send: recipient contact, merge fields, plan limits, message record."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rasl_prefect.sandbox import seed
from rasl_prefect.sandbox.clock import isoformat
from rasl_prefect.sandbox.errors import ApiError, not_found
from rasl_prefect.sandbox.faults import FaultInjector
from rasl_prefect.sandbox.phones import clean_phone
from rasl_prefect.sandbox.state import MESSAGE_DETAIL_FIELDS, MESSAGE_LIST_FIELDS, SandboxState

CUSTOMER_SERVICE_WINDOW_SECONDS = 24 * 3600
OUTSIDE_WINDOW_REASON = (
    "Not delivered: the recipient has not written in the last 24 hours, so WhatsApp only "
    "accepts template messages; send a template instead."
)
MERGE_FIELD = re.compile(r"@\{(contact_first_name|contact_last_name|contact_email|contact_phone)\}")
MERGE_SOURCES = {
    "contact_first_name": "firstname",
    "contact_last_name": "lastname",
    "contact_email": "email",
    "contact_phone": "phone",
}


def new_wamid() -> str:
    """Return a new WhatsApp message id in the `wamid.` format."""
    return "wamid." + uuid.uuid4().hex.upper()


def check_whatsapp_configured(state: SandboxState) -> None:
    """Raise 422 `WHATSAPP_NOT_CONFIGURED` when the tenant has not connected WhatsApp."""
    if not state.plan["whatsapp_configured"]:
        raise ApiError(
            422,
            "WHATSAPP_NOT_CONFIGURED",
            "WhatsApp is not configured for this account; connect a WhatsApp Business number "
            "in the dashboard first.",
        )


def resolve_recipient(
    state: SandboxState,
    phone: str,
    contact_id: int | None,
    new_contact: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the recipient contact, creating one when no contact has the phone.

    Raises:
        ApiError: 404 for an unknown `contact_id`, 422 when automatic contact creation is not
            configured, 403 `FEATURE_LIMIT_EXCEEDED` at the contact limit and 403
            `CONTACT_OPTED_OUT` for an opted-out contact.
    """
    cleaned = clean_phone(phone)
    if contact_id is not None:
        contact = state.contacts.get(contact_id)
        if contact is None:
            raise not_found("Contact", contact_id)
    else:
        existing_id = state.phone_index.get(cleaned)
        contact = state.contacts.get(existing_id) if existing_id is not None else None
        if contact is None:
            contact = _create_recipient(state, cleaned, new_contact or {})

    if contact["is_opted_out"]:
        raise ApiError(
            403,
            "CONTACT_OPTED_OUT",
            f"Contact {contact['id']} has opted out of WhatsApp messages; do not message them.",
            {"contact_id": contact["id"]},
        )
    return contact


def _create_recipient(state: SandboxState, phone: str, fields: dict[str, Any]) -> dict[str, Any]:
    if not state.plan["auto_contact_creation"]:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            "No contact has this phone and automatic contact creation is not configured: set a "
            "default lead status, source and assignee in the Application settings, or create "
            "the contact first.",
            {"errors": {"phone": ["Automatic contact creation is not configured."]}},
        )
    limit_details = state.contact_limit_error()
    if limit_details is not None:
        raise plan_limit_error(limit_details)
    groups = [group_id for group_id in fields.get("groups", []) if group_id in state.groups]
    return state.insert_contact(
        {
            # NOTE: RASL does not document the name of an automatically created contact.
            # The sandbox uses the phone as first name unless the request gives one.
            "firstname": fields.get("firstname") or phone,
            "lastname": fields.get("lastname") or "",
            "email": fields.get("email"),
            "phone": phone,
            "type": "lead",
            "source_id": seed.DEFAULT_SOURCE_ID,
            "status_id": seed.DEFAULT_STATUS_ID,
            "assigned_id": fields.get("assigned_id"),
            "group_id": groups,
        }
    )


def plan_limit_error(details: dict[str, Any]) -> ApiError:
    """Build the 403 `FEATURE_LIMIT_EXCEEDED` error from its feature/current/maximum details."""
    return ApiError(
        403,
        "FEATURE_LIMIT_EXCEEDED",
        f"The plan allows {details['maximum']} {details['feature']} and {details['current']} are "
        "in use; upgrade the plan or free some before adding more.",
        details,
    )


def conversation_count(state: SandboxState, month: str) -> int:
    """Return how many contacts were messaged in `month` (`YYYY-MM`)."""
    return sum(1 for chat in state.chats.values() if month in chat["months"])


def open_conversation(state: SandboxState, contact: dict[str, Any]) -> dict[str, Any]:
    """Return the contact's chat, counting this month's conversation against the plan.

    Raises:
        ApiError: 403 `FEATURE_LIMIT_EXCEEDED` when a new conversation passes the monthly limit.
    """
    month = isoformat(state.now())[:7]
    key = str(contact["id"])
    chat = state.chats.get(key)
    if chat is not None and month in chat["months"]:
        return chat  # type: ignore[no-any-return]

    maximum = state.plan["limits"]["conversations"]
    if maximum is not None and maximum >= 0:
        current = conversation_count(state, month)
        if current >= maximum:
            raise plan_limit_error(
                {"feature": "conversations", "current": current, "maximum": maximum}
            )

    if chat is None:
        chat = {"id": len(state.chats) + 1, "contact_id": contact["id"], "months": []}
    chat["months"].append(month)
    state.chats.put(key, chat)
    return chat  # type: ignore[no-any-return]


def check_send_fault(faults: FaultInjector, request_path: str) -> None:
    """Raise 500 `MESSAGE_SEND_FAILED` when the fault injector decides that this send fails."""
    if faults.applies_to(request_path) and faults.roll("message_send_failed"):
        raise ApiError(
            500,
            "MESSAGE_SEND_FAILED",
            "The WhatsApp Cloud API rejected the message (injected fault); nothing was sent.",
        )


def apply_merge_fields(text: str, contact: dict[str, Any]) -> str:
    """Replace `@{contact_first_name}` and the other merge fields with the contact's values."""
    if "@{" not in text:
        return text
    return MERGE_FIELD.sub(
        lambda match: str(contact.get(MERGE_SOURCES[match.group(1)]) or ""), text
    )


def within_service_window(state: SandboxState, phone: str) -> bool:
    """True when the phone wrote to the business in the last 24 hours."""
    last_inbound = state.last_inbound.get(phone)
    return (
        last_inbound is not None and state.now() - last_inbound <= CUSTOMER_SERVICE_WINDOW_SECONDS
    )


def record_message(
    state: SandboxState,
    contact: dict[str, Any],
    chat: dict[str, Any],
    message_type: str,
    text: str | None,
    *,
    direction: str = "outbound",
    status: str = "sent",
    status_message: str | None = None,
    url: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store one message of the contact's chat and return its record."""
    now = state.now_iso()
    message_id = state.messages.next_id()
    record: dict[str, Any] = {
        "id": message_id,
        "interaction_id": chat["id"],
        "sender_id": contact["phone"] if direction == "inbound" else None,
        "type": message_type,
        "message": text,
        "status": status,
        "message_id": new_wamid(),
        "sent_at": now,
        "is_read": False,
        "direction": direction,
        "created_at": now,
        "updated_at": now,
        "status_message": status_message,
        "ref_message_id": None,
        "url": url,
        "staff_id": None,
        "contact_id": contact["id"],
        "phone": contact["phone"],
    }
    if extra:
        record.update(extra)
    state.messages.put(message_id, record)
    return record


def message_list_view(record: dict[str, Any]) -> dict[str, Any]:
    """Return a List Messages item."""
    return {name: record.get(name) for name in MESSAGE_LIST_FIELDS}


def message_detail_view(record: dict[str, Any]) -> dict[str, Any]:
    """Return the Get Message object."""
    return {name: record.get(name) for name in MESSAGE_DETAIL_FIELDS}
