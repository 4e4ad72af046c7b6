"""Build the sandbox ASGI app: FastAPI routes behind the gateway, with RASL error bodies."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import compile_path

from rasl_prefect.sandbox.errors import ApiError
from rasl_prefect.sandbox.faults import FaultInjector
from rasl_prefect.sandbox.gateway import API_PREFIX, ApiRoute, SandboxGateway
from rasl_prefect.sandbox.ratelimit import FixedWindowLimiter
from rasl_prefect.sandbox.responses import error_body, json_response
from rasl_prefect.sandbox.routes import account, admin, contacts, groups, messages, otp, templates
from rasl_prefect.sandbox.state import SandboxState
from rasl_prefect.sandbox.stats import RequestStats
from rasl_prefect.sandbox.webhooks import WebhookDispatcher

logger = logging.getLogger("rasl_prefect.sandbox")

API_MODULES = (messages, otp, templates, contacts, groups, account)
"""Route modules served under `/api/v2`, in matching order."""


def _request_id(request: Request) -> str:
    state = request.scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = str(uuid.uuid4())
    return str(state["request_id"])


def _error_response(
    request: Request,
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    sandbox: SandboxState = request.app.state.sandbox
    body = error_body(code, message, details or {}, _request_id(request), sandbox.now())
    return json_response(body, status_code, headers)


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return _error_response(
        request, error.status_code, error.code, error.message, error.details, error.headers
    )


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 405:
        return _error_response(
            request,
            405,
            "METHOD_NOT_ALLOWED",
            f"{request.method} is not allowed on {request.url.path}; check the method in the API "
            "reference.",
        )
    if error.status_code == 404:
        return _error_response(
            request,
            404,
            "NOT_FOUND",
            f"No endpoint at {request.method} {request.url.path}; check the path.",
        )
    return _error_response(request, error.status_code, "HTTP_ERROR", str(error.detail))


async def _request_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors: dict[str, list[str]] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"][1:]) or "request"
        errors.setdefault(name, []).append(str(item["msg"]))
    first = next(iter(errors.values()))[0] if errors else "The request is invalid."
    return _error_response(request, 422, "VALIDATION_ERROR", first, {"errors": errors})


async def _unexpected_error(request: Request, error: Exception) -> Response:
    logger.exception("Unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return _error_response(
        request,
        500,
        "INTERNAL_ERROR",
        "Unexpected sandbox error; see the sandbox log for the traceback.",
    )


def create_app(state: SandboxState) -> SandboxGateway:
    """Return the sandbox ASGI app for `state`.

    The FastAPI app is `gateway.app`; its `state` contains the sandbox state, the fault injector,
    the rate limiter, the stats and the webhook dispatcher.
    """
    api = FastAPI(
        title="RASL WhatsApp API v2 sandbox",
        version="2.0-sandbox",
        description=(
            "A local emulator of the RASL WhatsApp Business API v2. Authenticate with "
            "`Authorization: Bearer <token>` or `X-API-Key: <token>`. Routes under `/_sandbox` "
            "are the sandbox's own admin API and not part of RASL."
        ),
    )
    for module in API_MODULES:
        api.include_router(module.router, prefix=API_PREFIX)
    api.include_router(admin.router)

    api.add_exception_handler(ApiError, _api_error)
    api.add_exception_handler(StarletteHTTPException, _http_error)
    api.add_exception_handler(RequestValidationError, _request_validation_error)
    api.add_exception_handler(Exception, _unexpected_error)

    limiter = FixedWindowLimiter()
    faults = FaultInjector()
    stats = RequestStats()
    api.state.sandbox = state
    api.state.limiter = limiter
    api.state.faults = faults
    api.state.stats = stats
    api.state.webhooks = WebhookDispatcher(state)
    api.state.initial_settings = asdict(state.settings)

    routes = [
        ApiRoute(
            pattern=compile_path(API_PREFIX + route.path)[0],
            template=API_PREFIX + route.path,
            methods=frozenset(route.methods or ()),
            endpoint=route.endpoint,
        )
        for module in API_MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute)
    ]
    return SandboxGateway(api, state, limiter, faults, stats, routes)
