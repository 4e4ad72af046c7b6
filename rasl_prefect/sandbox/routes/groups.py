"""Groups: list, create, get, update, delete, and add or remove member contacts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox.errors import field_error, not_found
from rasl_prefect.sandbox.listing import ListSpec, select_records
from rasl_prefect.sandbox.routes.common import (
    api_route,
    list_query,
    list_reply,
    path_id,
    read_input,
    reply,
)
from rasl_prefect.sandbox.state import GROUP_FIELDS, SandboxState
from rasl_prefect.sandbox.validation import Field, validate

router = APIRouter()

MAX_MEMBER_IDS = 100
"""Largest `contact_ids` array one membership request takes; RASL does not document one."""

NAME_FIELDS = {
    "name": Field(
        "string",
        required=True,
        max_length=255,
        required_message="Group name is required",
        description="Unique per tenant, compared case-insensitively.",
    )
}
MEMBER_FIELDS = {
    "contact_ids": Field(
        "array",
        required=True,
        min_length=1,
        max_length=MAX_MEMBER_IDS,
        items=Field("integer"),
    )
}
GROUPS_LIST = ListSpec(
    sort_fields=("id", "name", "created_at", "updated_at"),
    default_sort="name",
    search_fields=("name",),
    filters={"name": "str", "created_at": "datetime", "updated_at": "datetime"},
    selectable_fields=GROUP_FIELDS,
)


def group_view(group: dict[str, Any]) -> dict[str, Any]:
    """Return the public group object."""
    return {name: group[name] for name in GROUP_FIELDS}


def _group_or_404(state: SandboxState, group_id: int) -> dict[str, Any]:
    group = state.groups.get(group_id)
    if group is None:
        raise not_found("Group", group_id)
    return group  # type: ignore[no-any-return]


def _check_unique_name(state: SandboxState, name: str, exclude_id: int | None = None) -> None:
    target_name = name.strip().lower()
    for group in state.groups.values():
        if group["name"].strip().lower() == target_name and group["id"] != exclude_id:
            raise field_error(
                "name", f"A group with this name already exists (group {group['id']})."
            )


@api_route(router, "GET", "/groups", scope="groups:read", summary="List Groups", query=GROUPS_LIST)
async def list_groups(request: Request, state: SandboxState) -> Response:
    """List contact groups."""
    query = list_query(request, GROUPS_LIST)
    with state.lock:
        selected = select_records(state.groups.values(), query, GROUPS_LIST)
        return list_reply(
            request, state, selected, query, "Groups retrieved successfully", group_view
        )


@api_route(
    router,
    "POST",
    "/groups",
    scope="groups:write",
    summary="Create Group",
    success_status=201,
    body=NAME_FIELDS,
)
async def create_group(request: Request, state: SandboxState) -> Response:
    """Create a group with a unique name."""
    values = validate(await read_input(request), NAME_FIELDS)
    with state.lock:
        _check_unique_name(state, values["name"])
        now = state.now_iso()
        group_id = state.groups.next_id()
        group = {"id": group_id, "name": values["name"], "created_at": now, "updated_at": now}
        state.groups.put(group_id, group)
    return reply(request, state, group_view(group), "Group created successfully", 201)


@api_route(
    router,
    "GET",
    "/groups/{group_id}",
    scope="groups:read",
    summary="Get Group",
    description="The RASL docs do not show this page; the sandbox requires groups:read.",
)
async def get_group(request: Request, state: SandboxState) -> Response:
    """Get one group."""
    group_id = path_id(request, "group_id", "Group")
    with state.lock:
        group = _group_or_404(state, group_id)
    return reply(request, state, group_view(group), "Group retrieved successfully")


@api_route(
    router,
    "PATCH",
    "/groups/{group_id}",
    scope="groups:write",
    summary="Update Group",
    body=NAME_FIELDS,
)
async def update_group(request: Request, state: SandboxState) -> Response:
    """Rename a group."""
    group_id = path_id(request, "group_id", "Group")
    values = validate(await read_input(request), NAME_FIELDS)
    with state.lock:
        group = _group_or_404(state, group_id)
        _check_unique_name(state, values["name"], exclude_id=group_id)
        group.update({"name": values["name"], "updated_at": state.now_iso()})
        state.groups.put(group_id, group)
    return reply(request, state, group_view(group), "Group updated successfully")


@api_route(
    router,
    "DELETE",
    "/groups/{group_id}",
    scope="groups:delete",
    summary="Delete Group",
    description="The RASL docs do not name a scope; the sandbox requires groups:delete. Members "
    "stay as contacts.",
)
async def delete_group(request: Request, state: SandboxState) -> Response:
    """Delete a group; its contacts stay and lose the membership."""
    group_id = path_id(request, "group_id", "Group")
    with state.lock:
        _group_or_404(state, group_id)
        for contact in state.contacts.values():
            if group_id in contact["group_id"]:
                members = [member for member in contact["group_id"] if member != group_id]
                state.update_contact(contact, {"group_id": members})
        state.groups.remove(group_id)
    return reply(request, state, None, "Group deleted successfully")


@api_route(
    router,
    "POST",
    "/groups/{group_id}/contacts",
    scope="groups:write",
    summary="Add Contacts to Group",
    body=MEMBER_FIELDS,
    description="Contacts already in the group are skipped and not counted.",
)
async def add_contacts_to_group(request: Request, state: SandboxState) -> Response:
    """Add existing contacts to a group."""
    group_id = path_id(request, "group_id", "Group")
    values = validate(await read_input(request), MEMBER_FIELDS)
    with state.lock:
        _group_or_404(state, group_id)
        unknown = [
            contact_id for contact_id in values["contact_ids"] if contact_id not in state.contacts
        ]
        if unknown:
            raise field_error(
                "contact_ids",
                f"One or more contact IDs do not exist: {', '.join(map(str, unknown))}.",
            )
        added = 0
        for contact_id in dict.fromkeys(values["contact_ids"]):
            contact = state.contacts[contact_id]
            if group_id not in contact["group_id"]:
                state.update_contact(contact, {"group_id": [*contact["group_id"], group_id]})
                added += 1
    return reply(
        request,
        state,
        {"group_id": group_id, "contacts_added": added},
        "Contacts added to group successfully",
    )


@api_route(
    router,
    "DELETE",
    "/groups/{group_id}/contacts",
    scope="groups:write",
    summary="Remove Contacts from Group",
    body=MEMBER_FIELDS,
    description="Contacts not in the group, or unknown, are skipped and not counted.",
)
async def remove_contacts_from_group(request: Request, state: SandboxState) -> Response:
    """Remove contacts from a group."""
    group_id = path_id(request, "group_id", "Group")
    values = validate(await read_input(request), MEMBER_FIELDS)
    with state.lock:
        _group_or_404(state, group_id)
        removed = 0
        for contact_id in dict.fromkeys(values["contact_ids"]):
            contact = state.contacts.get(contact_id)
            if contact is not None and group_id in contact["group_id"]:
                members = [member for member in contact["group_id"] if member != group_id]
                state.update_contact(contact, {"group_id": members})
                removed += 1
    return reply(
        request,
        state,
        {"group_id": group_id, "contacts_removed": removed},
        "Contacts removed from group successfully",
    )
