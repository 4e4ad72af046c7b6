"""Helpers shared by the API route modules: registration with a scope, input parsing, replies."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox.errors import ApiError, field_error, not_found
from rasl_prefect.sandbox.listing import (
    ListQuery,
    ListSpec,
    page_of,
    pagination_meta,
    parse_list_query,
    project_fields,
)
from rasl_prefect.sandbox.responses import json_response, success_body
from rasl_prefect.sandbox.state import SandboxState
from rasl_prefect.sandbox.validation import Field, object_schema

Handler = Callable[[Request, SandboxState], Awaitable[Response]]

PATH_PARAMETER = re.compile(r"{([^}]+)}")
STRING_PATH_PARAMETERS = {"template_id"}
"""Path parameters that are strings; every other path id is an integer."""


def get_state(request: Request) -> SandboxState:
    """Return the sandbox state the app was built with."""
    return request.app.state.sandbox  # type: ignore[no-any-return]


def require_scope(request: Request, scope: str) -> dict[str, Any]:
    """Return the request's token, or raise 403 `INSUFFICIENT_SCOPE` when it lacks `scope`."""
    token: dict[str, Any] = request.scope["state"]["token"]
    if scope not in token["scopes"]:
        raise ApiError(
            403,
            "INSUFFICIENT_SCOPE",
            f"This token lacks the {scope} scope that this endpoint needs; "
            "create a token with that scope.",
            {"required_scope": scope, "token_scopes": list(token["scopes"])},
        )
    return token


def api_route(
    router: APIRouter,
    method: str,
    path: str,
    *,
    scope: str,
    summary: str,
    success_status: int = 200,
    body: Mapping[str, Field] | None = None,
    multipart: bool = False,
    query: ListSpec | None = None,
    description: str = "",
) -> Callable[[Handler], Handler]:
    """Register `handler` as an API route that first checks the token's `scope`.

    The OpenAPI operation lists the scope, the path parameters and the request body schema.
    """

    def decorate(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            require_scope(request, scope)
            return await handler(request, request.app.state.sandbox)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        extra: dict[str, Any] = {"x-required-scope": scope}
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string" if name in STRING_PATH_PARAMETERS else "integer"},
            }
            for name in PATH_PARAMETER.findall(path)
        ]
        if query is not None:
            parameters += _list_parameters(query)
        if parameters:
            extra["parameters"] = parameters
        if body is not None:
            schema = object_schema(body)
            content: dict[str, Any] = {"application/json": {"schema": schema}}
            if multipart:
                content["multipart/form-data"] = {"schema": schema}
            extra["requestBody"] = {"required": True, "content": content}
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            summary=summary,
            description=(description + "\n\n" if description else "")
            + f"Required scope: `{scope}`.",
            status_code=success_status,
            openapi_extra=extra,
            name=handler.__name__,
        )
        return handler

    return decorate


def _list_parameters(spec: ListSpec) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
        {
            "name": "per_page",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 15},
        },
        {
            "name": "sort",
            "in": "query",
            "description": (
                f"Comma-separated fields, `-` for descending: {', '.join(spec.sort_fields)}."
            ),
            "schema": {"type": "string", "default": spec.default_sort},
        },
        {"name": "search", "in": "query", "schema": {"type": "string"}},
        {
            "name": "q",
            "in": "query",
            "description": "Alias of `search`.",
            "schema": {"type": "string"},
        },
        {"name": "fields", "in": "query", "schema": {"type": "string"}},
    ]
    if spec.includes:
        parameters.append({"name": "include", "in": "query", "schema": {"type": "string"}})
    for name in spec.filters:
        parameters.append(
            {
                "name": f"filter[{name}]",
                "in": "query",
                "description": "Exact match; `filter[field][operator]` takes gte, lte, gt, lt, ne, "
                "like, in, not_in, between, null or the symbols >=, <=, >, <, !=.",
                "schema": {"type": "string"},
            }
        )
    return parameters


async def read_input(request: Request) -> dict[str, Any]:
    """Return the request body as a dict, from JSON, a URL-encoded form or a multipart form.

    Raises:
        ApiError: 422 when the body is not valid JSON, not a JSON object or not a valid form.
    """
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        try:
            form = await request.form()
        except HTTPException as error:
            # Starlette raises a 400 HTTPException for a multipart body it cannot parse, such
            # as one without a boundary; the unhandled exception would become a 500.
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"The request body is not a valid form ({error.detail}); send a JSON object "
                "or a form with a boundary that matches its Content-Type.",
            ) from None
        values: dict[str, Any] = {}
        for key, value in form.multi_items():
            if key.endswith("[]"):
                values.setdefault(key[:-2], []).append(value)
            else:
                values[key] = value
        return values

    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            422, "VALIDATION_ERROR", "The request body is not valid JSON; send a JSON object."
        ) from None
    if not isinstance(parsed, dict):
        raise ApiError(422, "VALIDATION_ERROR", "The request body must be a JSON object.")
    return parsed


def path_id(request: Request, name: str, resource: str) -> int:
    """Return an integer path parameter, or raise 404 `NOT_FOUND` when it is not an integer."""
    raw = request.path_params[name]
    if not re.fullmatch(r"\d{1,18}", raw):
        raise not_found(resource, raw)
    return int(raw)


def reply(
    request: Request,
    state: SandboxState,
    data: Any,
    message: str,
    status_code: int = 200,
) -> Response:
    """Return the success envelope."""
    body = success_body(data, message, request.scope["state"]["request_id"], state.now())
    return json_response(body, status_code)


def list_reply(
    request: Request,
    state: SandboxState,
    records: list[dict[str, Any]],
    query: ListQuery,
    message: str,
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    """Return one page of `records` in the success envelope with pagination meta and links."""
    items = [project_fields(view(record), query) for record in page_of(records, query)]
    meta, links = pagination_meta(len(records), query, request.url)
    body = success_body(items, message, request.scope["state"]["request_id"], state.now(), meta)
    body["links"] = links
    return json_response(body)


def list_query(request: Request, spec: ListSpec) -> ListQuery:
    """Parse the list parameters of `request` against `spec`."""
    return parse_list_query(request.query_params, spec)


def upload_or_none(value: Any) -> UploadFile | None:
    """Return `value` when it is an uploaded file."""
    return value if isinstance(value, UploadFile) else None


def integer_list(values: dict[str, Any], name: str) -> list[int]:
    """Return a checked list of integers from `values[name]`."""
    raw = values.get(name)
    if not isinstance(raw, list):
        raise field_error(name, f"The {name} field must be an array of integers.")
    return [int(item) for item in raw]
