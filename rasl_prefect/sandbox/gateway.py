"""The ASGI layer in front of the API routes: request ids, auth, rate limits, faults and stats.

It runs before FastAPI on every `/api/v2` request, in this order:
1. a `reset` fault closes the connection, and latency is added;
2. the token is read from `Authorization: Bearer` or `X-API-Key` (401 when missing, unknown
   or expired; 401 responses carry no rate-limit headers because no token is known);
3. a 429 burst fault returns 429 without touching the window;
4. the token's fixed window counts the request (429 past the limit, not counted);
5. `error_500`/`error_503` faults respond in place of the route (the request was counted);
6. the route runs; a `drop_after_commit` fault keeps its effect but closes the connection
   instead of sending the response.
Every response gets `X-Request-Id`, and every response to a known token gets the
`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` headers.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rasl_prefect.sandbox.errors import ApiError
from rasl_prefect.sandbox.faults import FaultInjector
from rasl_prefect.sandbox.protocol import TRANSPORT_STATE_KEY
from rasl_prefect.sandbox.ratelimit import FixedWindowLimiter
from rasl_prefect.sandbox.responses import dump_json, error_body, json_response
from rasl_prefect.sandbox.state import SandboxState
from rasl_prefect.sandbox.stats import RequestStats

logger = logging.getLogger("rasl_prefect.sandbox")

API_PREFIX = "/api/v2"
ROUTE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class ApiRoute:
    """One `/api/v2` route, called by the gateway without FastAPI's request handling.

    Attributes:
        pattern: The compiled full path, with one named group per path parameter.
        template: The full path template, such as `/api/v2/contacts/{contact_id}`.
        methods: The HTTP methods the route serves.
        endpoint: The route function, which takes a Starlette request.
    """

    pattern: re.Pattern[str]
    template: str
    methods: frozenset[str]
    endpoint: Callable[[Request], Awaitable[Response]]


class SandboxGateway:
    """ASGI middleware that applies auth, rate limits, faults and counting to `/api/v2` requests.

    Args:
        app: The FastAPI app with the routes.
        state: The sandbox state (tokens, settings, clock).
        limiter: The per-token rate limiter.
        faults: The fault injector.
        stats: The request counters.
        routes: The API routes, in FastAPI's matching order. The gateway calls them directly,
            because FastAPI's own request handling costs about half of each request's time.
            A path or method that matches no route goes to FastAPI for its 404 or 405.
    """

    def __init__(
        self,
        app: ASGIApp,
        state: SandboxState,
        limiter: FixedWindowLimiter,
        faults: FaultInjector,
        stats: RequestStats,
        routes: list[ApiRoute],
    ) -> None:
        self.app = app
        self.state = state
        self.limiter = limiter
        self.faults = faults
        self.stats = stats
        self.routes = routes
        self._route_templates: dict[tuple[str, str], str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return

        request_id = str(uuid.uuid4())
        scope_state = scope.setdefault("state", {})
        scope_state["request_id"] = request_id
        headers: list[tuple[bytes, bytes]] = [(b"x-request-id", request_id.encode("ascii"))]
        faults = self.faults if self.faults.applies_to(scope["path"]) else None

        if faults is not None:
            if faults.roll("reset"):
                await self._abort(scope)
                self.stats.record(self._route_of(scope), "reset")
                return
            delay = faults.latency_seconds()
            if delay > 0:
                await asyncio.sleep(delay)

        token = self._authenticate(scope)
        if isinstance(token, str):
            await self._reject(scope, send, 401, "UNAUTHORIZED", token, {}, headers)
            return

        window_seconds = token["window_seconds"] or self.state.settings.window_seconds
        if faults is not None and faults.take_burst_429():
            decision = None
            retry_after = max(1, int(window_seconds))
            headers += self._rate_headers(token["rpm"], 0, math.ceil(time.time() + window_seconds))
        else:
            decision = self.limiter.check(token["id"], token["rpm"], window_seconds)
            retry_after = decision.retry_after_seconds
            headers += self._rate_headers(decision.limit, decision.remaining, decision.reset_at)

        if decision is None or not decision.allowed:
            if self.state.settings.retry_after:
                headers.append((b"retry-after", str(retry_after).encode("ascii")))
            message = (
                f"Rate limit of {token['rpm']} requests per {window_seconds:g} seconds exceeded "
                f"for this token; retry after {retry_after} seconds."
            )
            await self._reject(scope, send, 429, "RATE_LIMIT_EXCEEDED", message, {}, headers)
            return

        scope_state["token"] = token
        if faults is not None:
            if faults.roll("error_500"):
                message = (
                    "Injected server error: the request was not processed; it is safe to retry."
                )
                await self._reject(scope, send, 500, "INTERNAL_ERROR", message, {}, headers)
                return
            if faults.roll("error_503"):
                message = "The service is temporarily unavailable; retry later."
                await self._reject(
                    scope,
                    send,
                    503,
                    "SERVICE_UNAVAILABLE",
                    message,
                    {},
                    [*headers, (b"retry-after", b"1")],
                )
                return
        drop = faults is not None and faults.roll("drop_after_commit")

        await self._run_app(scope, receive, send, headers, drop)

    async def _run_app(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: list[tuple[bytes, bytes]],
        drop: bool,
    ) -> None:
        status_holder = ["500"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = str(message["status"])
                if drop:
                    return
                message["headers"] = [*message.get("headers", []), *headers]
            elif drop:
                return
            await send(message)

        await self._dispatch(scope, receive, send_with_headers)

        if drop:
            await self._abort(scope)
            self.stats.record(self._route_of(scope), "dropped")
        else:
            self.stats.record(self._route_of(scope), status_holder[0])

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Call the matching API route directly, or pass the request to FastAPI."""
        path = scope["path"]
        method = scope["method"]
        for route in self.routes:
            match = route.pattern.match(path)
            if match is not None and method in route.methods:
                break
        else:
            await self.app(scope, receive, send)
            return

        scope["app"] = self.app
        scope["path_params"] = match.groupdict()
        request = Request(scope, receive)
        try:
            response = await route.endpoint(request)
        except ApiError as error:
            body = error_body(
                error.code,
                error.message,
                error.details,
                scope["state"]["request_id"],
                self.state.now(),
            )
            response = json_response(body, error.status_code, error.headers)
        except Exception:
            logger.exception("Unexpected error on %s %s", method, path)
            message = "Unexpected sandbox error; see the sandbox log for the traceback."
            body = error_body(
                "INTERNAL_ERROR", message, {}, scope["state"]["request_id"], self.state.now()
            )
            response = json_response(body, 500)
        await response(scope, receive, send)

    def _authenticate(self, scope: Scope) -> dict[str, Any] | str:
        """Return the token record, or the 401 message when the token is missing or bad."""
        value = None
        for name, raw in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = raw.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and credentials.strip():
                    value = credentials.strip()
                    break
            elif name == b"x-api-key" and raw.strip():
                value = raw.decode("latin-1").strip()
                break
        if value is None:
            return (
                "Missing API token: send `Authorization: Bearer <token>` or `X-API-Key: <token>`."
            )

        token = self.state.find_token(value)
        if token is None:
            return "Invalid API token: check the token or create a new one."
        if token["expires_at"] is not None and token["expires_at"] <= self.state.now():
            return "The API token has expired: create a new token."
        return token

    @staticmethod
    def _rate_headers(limit: int, remaining: int, reset_at: int) -> list[tuple[bytes, bytes]]:
        return [
            (b"x-ratelimit-limit", str(limit).encode("ascii")),
            (b"x-ratelimit-remaining", str(remaining).encode("ascii")),
            (b"x-ratelimit-reset", str(reset_at).encode("ascii")),
        ]

    async def _reject(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        message: str,
        details: dict[str, Any],
        headers: list[tuple[bytes, bytes]],
    ) -> None:
        body = dump_json(
            error_body(code, message, details, scope["state"]["request_id"], self.state.now())
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                    *headers,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
        self.stats.record(self._route_of(scope), str(status))

    async def _abort(self, scope: Scope) -> None:
        transport = scope["state"].get(TRANSPORT_STATE_KEY)
        if transport is None:
            raise RuntimeError(
                "Connection faults need the sandbox's HTTP protocol; start the server with "
                "run_sandbox() or `rasl-prefect sandbox`."
            )
        transport.abort()
        # Let uvicorn see the lost connection before the app returns, so it sends nothing more.
        await asyncio.sleep(0)

    def _route_of(self, scope: Scope) -> str:
        """Return `METHOD /path/{template}` of the request, for the stats."""
        method = scope["method"]
        key = (method, scope["path"])
        template = self._route_templates.get(key)
        if template is None:
            template = scope["path"]
            for route in self.routes:
                if route.pattern.match(scope["path"]):
                    template = route.template
                    break
            if len(self._route_templates) < ROUTE_CACHE_SIZE:
                self._route_templates[key] = template
        return f"{method} {template}"
