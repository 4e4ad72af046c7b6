"""Contacts: list, create, get, update, delete, and create or delete in batches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox.errors import ApiError, field_error, not_found, validation_failed
from rasl_prefect.sandbox.listing import ListSpec, select_records
from rasl_prefect.sandbox.messaging import plan_limit_error
from rasl_prefect.sandbox.phones import clean_phone
from rasl_prefect.sandbox.routes.common import (
    api_route,
    list_query,
    list_reply,
    path_id,
    read_input,
    reply,
)
from rasl_prefect.sandbox.state import CONTACT_FIELDS, SandboxState
from rasl_prefect.sandbox.validation import Field, check_fields, validate

router = APIRouter()

MAX_BATCH_ITEMS = 100
"""Largest `contacts` or `ids` array one batch request takes; RASL does not document one."""

CONTACT_TYPES = ("lead", "customer", "guest")


def contact_fields(required: bool) -> dict[str, Field]:
    """Return the rules of a contact body; all optional for an update."""
    return {
        "firstname": Field("string", required=required, max_length=255),
        "lastname": Field("string", required=required, max_length=255),
        "phone": Field(
            "string", required=required, max_length=20, description="Unique per tenant."
        ),
        "type": Field("string", required=required, choices=CONTACT_TYPES),
        "source_id": Field("integer", required=required, description="An existing source."),
        "status_id": Field("integer", required=required, description="An existing status."),
        "email": Field("email", max_length=191, description="Unique per tenant."),
        "company": Field("string", max_length=255),
        "description": Field("string", max_length=65535),
        "city": Field("string", max_length=255),
        "state": Field("string", max_length=255),
        "zip": Field("string", max_length=20),
        "address": Field("string", max_length=500),
        "country_id": Field("integer"),
        "assigned_id": Field("integer"),
        "groups": Field("array", items=Field("integer"), description="Group ids."),
    }


CREATE_FIELDS = contact_fields(required=True)
UPDATE_FIELDS = contact_fields(required=False)
BATCH_CREATE_FIELDS = {
    "contacts": Field(
        "array", required=True, min_length=1, max_length=MAX_BATCH_ITEMS, items=Field("object")
    ),
    "options": Field(
        "object", description="continue_on_error (default true), skip_duplicates (default false)."
    ),
}
BATCH_OPTIONS = {"continue_on_error": Field("boolean"), "skip_duplicates": Field("boolean")}
BATCH_DELETE_FIELDS = {
    "ids": Field(
        "array", required=True, min_length=1, max_length=MAX_BATCH_ITEMS, items=Field("integer")
    ),
}

CONTACTS_LIST = ListSpec(
    sort_fields=("id", "firstname", "lastname", "created_at", "updated_at"),
    default_sort="-created_at",
    search_fields=("firstname", "lastname", "email", "phone", "company"),
    phone_search_fields=("phone",),
    filters={
        "type": "str",
        "status_id": "int",
        "source_id": "int",
        "assigned_id": "int",
        "created_at": "datetime",
        "group_id": "int_array",
    },
    selectable_fields=CONTACT_FIELDS,
    includes=("groups", "source", "status"),
)


def check_contact(
    state: SandboxState, values: dict[str, Any], exclude_id: int | None = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check uniqueness and references of checked contact values; return the stored form and "
    "errors."""
    errors: dict[str, list[str]] = {}
    stored = dict(values)

    if "phone" in values:
        phone = clean_phone(values["phone"])
        stored["phone"] = phone
        owner = state.phone_index.get(phone)
        if not phone:
            errors["phone"] = ["The phone field must contain digits."]
        elif owner is not None and owner != exclude_id:
            errors["phone"] = [f"The phone has already been taken (contact {owner})."]
    if values.get("email"):
        owner = state.email_index.get(values["email"].lower())
        if owner is not None and owner != exclude_id:
            errors["email"] = [f"The email has already been taken (contact {owner})."]
    if "source_id" in values and values["source_id"] not in state.sources:
        errors["source_id"] = [f"The selected source id {values['source_id']} is invalid."]
    if "status_id" in values and values["status_id"] not in state.statuses:
        errors["status_id"] = [f"The selected status id {values['status_id']} is invalid."]
    if "groups" in values:
        unknown = [group_id for group_id in values["groups"] if group_id not in state.groups]
        if unknown:
            errors["groups"] = [f"The selected groups are invalid: {', '.join(map(str, unknown))}."]
        stored["group_id"] = list(dict.fromkeys(values["groups"]))
        del stored["groups"]
    return stored, errors


@api_route(
    router,
    "GET",
    "/contacts",
    scope="contacts:read",
    summary="List Contacts",
    query=CONTACTS_LIST,
)
async def list_contacts(request: Request, state: SandboxState) -> Response:
    """List contacts with search, filters and relationships."""
    query = list_query(request, CONTACTS_LIST)
    with state.lock:
        selected = select_records(state.contacts.values(), query, CONTACTS_LIST)
        return list_reply(
            request,
            state,
            selected,
            query,
            "Contacts retrieved successfully",
            lambda contact: state.contact_view(contact, query.include),
        )


@api_route(
    router,
    "POST",
    "/contacts",
    scope="contacts:write",
    summary="Create Contact",
    success_status=201,
    body=CREATE_FIELDS,
)
async def create_contact(request: Request, state: SandboxState) -> Response:
    """Create one contact."""
    values = validate(await read_input(request), CREATE_FIELDS)
    with state.lock:
        stored, errors = check_contact(state, values)
        if errors:
            raise validation_failed(errors)
        limit_details = state.contact_limit_error()
        if limit_details is not None:
            raise plan_limit_error(limit_details)
        contact = state.insert_contact(stored)
        view = state.contact_view(contact, ["groups"])
    return reply(request, state, view, "Contact created successfully", 201)


def _parse_batch_item(
    state: SandboxState,
    item: Any,
    skip_duplicates: bool,
    pending_phones: set[str],
    pending_emails: set[str],
) -> tuple[str, Any]:
    """Classify one batch item as ("create", values), ("skip", reason) or ("error", errors)."""
    if not isinstance(item, dict):
        return "error", {"contact": ["Each contact must be an object."]}
    values, errors = check_fields(item, CREATE_FIELDS)
    if errors:
        return "error", errors
    stored, errors = check_contact(state, values)
    phone = stored["phone"]
    duplicate = phone in state.phone_index or phone in pending_phones
    if duplicate and skip_duplicates:
        return "skip", "duplicate_phone"
    if phone in pending_phones:
        errors.setdefault("phone", []).append("The phone appears earlier in this batch.")
    email = (stored.get("email") or "").lower()
    if email and email in pending_emails:
        errors.setdefault("email", []).append("The email appears earlier in this batch.")
    if errors:
        return "error", errors
    return "create", stored


@api_route(
    router,
    "POST",
    "/contacts/batch",
    scope="contacts:write",
    summary="Batch Create Contacts",
    body=BATCH_CREATE_FIELDS,
    description=(
        f"At most {MAX_BATCH_ITEMS} contacts. All-or-nothing when continue_on_error is false. "
        "skip_duplicates skips phones that already exist instead of failing them."
    ),
)
async def batch_create_contacts(request: Request, state: SandboxState) -> Response:
    """Create up to 100 contacts in one transaction."""
    raw = await read_input(request)
    values = validate(raw, BATCH_CREATE_FIELDS)
    options = validate(values.get("options") or {}, BATCH_OPTIONS)
    continue_on_error = options.get("continue_on_error", True)
    skip_duplicates = options.get("skip_duplicates", False)
    items: list[Any] = values["contacts"]

    with state.lock:
        to_create: list[tuple[int, dict[str, Any]]] = []
        skipped: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        pending_phones: set[str] = set()
        pending_emails: set[str] = set()
        for index, item in enumerate(items):
            outcome, payload = _parse_batch_item(
                state, item, skip_duplicates, pending_phones, pending_emails
            )
            if outcome == "create":
                to_create.append((index, payload))
                pending_phones.add(payload["phone"])
                if payload.get("email"):
                    pending_emails.add(payload["email"].lower())
            elif outcome == "skip":
                skipped.append({"index": index, "reason": payload, "data": item})
            else:
                failed.append({"index": index, "errors": payload, "data": item})
                if not continue_on_error:
                    field_errors = {
                        f"contacts.{index}.{name}": messages for name, messages in payload.items()
                    }
                    raise ApiError(
                        422,
                        "VALIDATION_ERROR",
                        f"Contact at index {index} is invalid and continue_on_error is false, so "
                        "no "
                        "contact was created; fix it or set continue_on_error to true.",
                        {"errors": field_errors, "index": index},
                    )

        limit_details = state.contact_limit_error(len(to_create))
        if limit_details is not None:
            raise plan_limit_error(limit_details)
        created = [
            state.contact_view(state.insert_contact(stored), ["groups"]) for _, stored in to_create
        ]

    data = {
        "summary": {
            "total": len(items),
            "created": len(created),
            "skipped": len(skipped),
            "failed": len(failed),
        },
        "created": created,
        "skipped": skipped,
        "errors": failed,
    }
    return reply(request, state, data, f"{len(created)} of {len(items)} contacts created")


@api_route(
    router,
    "DELETE",
    "/contacts/batch",
    scope="contacts:delete",
    summary="Batch Delete Contacts",
    body=BATCH_DELETE_FIELDS,
    description=f"At most {MAX_BATCH_ITEMS} ids. Unknown ids count as failed; the call still "
    "succeeds.",
)
async def batch_delete_contacts(request: Request, state: SandboxState) -> Response:
    """Delete up to 100 contacts by id."""
    values = validate(await read_input(request), BATCH_DELETE_FIELDS)
    ids: list[int] = values["ids"]
    with state.lock:
        deleted = [
            contact_id for contact_id in dict.fromkeys(ids) if state.delete_contact(contact_id)
        ]
    summary = {"total": len(ids), "deleted": len(deleted), "failed": len(ids) - len(deleted)}
    return reply(
        request, state, {"summary": summary}, f"{len(deleted)} of {len(ids)} contacts deleted"
    )


def _contact_or_404(state: SandboxState, contact_id: int) -> dict[str, Any]:
    contact = state.contacts.get(contact_id)
    if contact is None:
        raise not_found("Contact", contact_id)
    return contact  # type: ignore[no-any-return]


@api_route(router, "GET", "/contacts/{contact_id}", scope="contacts:read", summary="Get Contact")
async def get_contact(request: Request, state: SandboxState) -> Response:
    """Get one contact, optionally with `include=groups,source,status`."""
    contact_id = path_id(request, "contact_id", "Contact")
    include = [
        part.strip() for part in request.query_params.get("include", "").split(",") if part.strip()
    ]
    unknown = [name for name in include if name not in CONTACTS_LIST.includes]
    if unknown:
        raise field_error(
            "include", f"Unknown include(s) {', '.join(unknown)}; allowed: groups, source, status."
        )
    with state.lock:
        view = state.contact_view(_contact_or_404(state, contact_id), include)
    return reply(request, state, view, "Contact retrieved successfully")


@api_route(
    router,
    "PATCH",
    "/contacts/{contact_id}",
    scope="contacts:write",
    summary="Update Contact",
    body=UPDATE_FIELDS,
    description="Partial update: send only the fields to change.",
)
async def update_contact(request: Request, state: SandboxState) -> Response:
    """Change some fields of a contact."""
    contact_id = path_id(request, "contact_id", "Contact")
    values = validate(await read_input(request), UPDATE_FIELDS)
    with state.lock:
        contact = _contact_or_404(state, contact_id)
        stored, errors = check_contact(state, values, exclude_id=contact_id)
        if errors:
            raise validation_failed(errors)
        view = state.contact_view(state.update_contact(contact, stored), ["groups"])
    return reply(request, state, view, "Contact updated successfully")


@api_route(
    router, "DELETE", "/contacts/{contact_id}", scope="contacts:delete", summary="Delete Contact"
)
async def delete_contact(request: Request, state: SandboxState) -> Response:
    """Delete one contact; its messages stay in the history."""
    contact_id = path_id(request, "contact_id", "Contact")
    with state.lock:
        if state.delete_contact(contact_id) is None:
            raise not_found("Contact", contact_id)
    return reply(request, state, None, "Contact deleted successfully")
