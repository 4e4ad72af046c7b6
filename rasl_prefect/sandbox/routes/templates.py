"""Templates: list, get by WhatsApp template id, and sync from the WhatsApp Business Account."""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox.errors import ApiError
from rasl_prefect.sandbox.listing import ListSpec, select_records
from rasl_prefect.sandbox.messaging import check_whatsapp_configured
from rasl_prefect.sandbox.routes.common import api_route, list_query, list_reply, reply
from rasl_prefect.sandbox.state import SandboxState

router = APIRouter()

TEMPLATE_FIELDS = (
    "id",
    "template_id",
    "template_name",
    "name",
    "language",
    "category",
    "status",
    "header_data_format",
    "header_data_text",
    "header_params_count",
    "header_file_url",
    "header_variable_value",
    "body_data",
    "body_params_count",
    "body_variable_value",
    "footer_data",
    "footer_params_count",
    "buttons_data",
    "message_send_ttl_seconds",
    "add_security_recommendation",
    "code_expiration_minutes",
    "otp_button_config",
    "components",
    "created_at",
    "updated_at",
)
TEMPLATES_LIST = ListSpec(
    sort_fields=("template_name", "created_at", "updated_at", "id"),
    default_sort="template_name",
    search_fields=("template_name", "category"),
    filters={"status": "str", "category": "str", "language": "str", "template_name": "str"},
    selectable_fields=TEMPLATE_FIELDS,
)


def template_view(template: dict[str, Any]) -> dict[str, Any]:
    """Return the public template object; `name` repeats `template_name`."""
    view = {name: copy.deepcopy(template.get(name)) for name in TEMPLATE_FIELDS}
    view["name"] = template["template_name"]
    return view


@api_route(
    router,
    "GET",
    "/templates",
    scope="templates:read",
    summary="List Templates",
    query=TEMPLATES_LIST,
    description="Every template of the account in every status and language.",
)
async def list_templates(request: Request, state: SandboxState) -> Response:
    """List the message templates."""
    query = list_query(request, TEMPLATES_LIST)
    with state.lock:
        records = [template_view(template) for template in state.templates.values()]
    selected = select_records(records, query, TEMPLATES_LIST)
    return list_reply(request, state, selected, query, "Templates retrieved successfully", dict)


@api_route(
    router,
    "POST",
    "/templates/sync",
    scope="templates:sync",
    summary="Sync Templates",
    description="Re-reads the templates of the WhatsApp Business Account; answers the counts.",
)
async def sync_templates(request: Request, state: SandboxState) -> Response:
    """Pull the templates from the WhatsApp Business Account."""
    with state.lock:
        check_whatsapp_configured(state)
        now = state.now_iso()
        for template in state.templates.values():
            template["updated_at"] = now
            state.templates.put(template["id"], template)
        by_status: dict[str, int] = {}
        for template in state.templates.values():
            by_status[template["status"]] = by_status.get(template["status"], 0) + 1
        data = {
            "synced": len(state.templates),
            "created": 0,
            "updated": len(state.templates),
            "by_status": by_status,
        }
    return reply(request, state, data, "Templates synced successfully")


@api_route(
    router,
    "GET",
    "/templates/{template_id}",
    scope="templates:read",
    summary="Get Template",
    description="The path id is the WhatsApp template id (a string), not the integer id.",
)
async def get_template(request: Request, state: SandboxState) -> Response:
    """Get one template by its WhatsApp template id."""
    template_id = request.path_params["template_id"]
    with state.lock:
        for template in state.templates.values():
            if template["template_id"] == template_id:
                return reply(
                    request, state, template_view(template), "Template retrieved successfully"
                )
    raise ApiError(
        404,
        "NOT_FOUND",
        f"Template {template_id} not found; use the WhatsApp template_id from List Templates, not "
        "the integer id.",
    )
