"""Account: tenant information, usage statistics and plan limits, computed from the live state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox.clock import isoformat
from rasl_prefect.sandbox.messaging import conversation_count
from rasl_prefect.sandbox.routes.common import api_route, reply
from rasl_prefect.sandbox.state import SandboxState

router = APIRouter()

FEATURE_NAMES = {
    "contacts": "Contacts",
    "conversations": "Conversations per month",
    "campaigns": "Active campaigns",
    "staff": "Team members",
    "api_calls_per_minute": "API calls per minute",
}


def _usage(current: int, limit: int | None) -> dict[str, Any]:
    unlimited = limit is not None and limit < 0
    if limit is None or unlimited:
        remaining = None
        percentage = 0.0
    else:
        remaining = max(0, limit - current)
        percentage = round(min(100.0, current * 100.0 / limit), 2) if limit else 100.0
    return {
        "current": current,
        "limit": limit,
        "remaining": remaining,
        "percentage_used": percentage,
        "is_unlimited": unlimited,
    }


@api_route(router, "GET", "/account", scope="account:read", summary="Get Account Info")
async def get_account_info(request: Request, state: SandboxState) -> Response:
    """Return the tenant and its subscription."""
    with state.lock:
        tenant = state.tenant
        data = {
            "id": tenant["id"],
            "name": tenant["name"] or tenant["subdomain"],
            "subdomain": tenant["subdomain"],
            "status": tenant["status"],
            "created_at": tenant["created_at"],
            "subscription": {
                "plan_name": state.plan["plan_name"],
                "status": "active",
                "ends_at": None,
            },
        }
    return reply(request, state, data, "Account information retrieved successfully")


@api_route(router, "GET", "/account/usage", scope="account:read", summary="Get Usage Statistics")
async def get_usage_statistics(request: Request, state: SandboxState) -> Response:
    """Return the current use of each plan feature."""
    with state.lock:
        limits = state.plan["limits"]
        month = isoformat(state.now())[:7]
        data = {
            "contacts": _usage(len(state.contacts), limits["contacts"]),
            "conversations": _usage(conversation_count(state, month), limits["conversations"]),
            "campaigns": _usage(state.plan["active_campaigns"], limits["campaigns"]),
            "staff": _usage(state.plan["staff_count"], limits["staff"]),
        }
    return reply(request, state, data, "Usage statistics retrieved successfully")


@api_route(router, "GET", "/account/limits", scope="account:read", summary="Get Plan Limits")
async def get_plan_limits(request: Request, state: SandboxState) -> Response:
    """Return the plan limits and features; `api_calls_per_minute` is this token's limit."""
    token = request.scope["state"]["token"]
    with state.lock:
        limits = dict(state.plan["limits"])
        limits["api_calls_per_minute"] = token["rpm"]
        data = {
            "limits": {
                name: {
                    "limit": limit,
                    "feature_name": FEATURE_NAMES[name],
                    "is_unlimited": limit < 0,
                }
                for name, limit in limits.items()
            },
            "features": dict(state.plan["features"]),
        }
    return reply(request, state, data, "Plan limits retrieved successfully")
