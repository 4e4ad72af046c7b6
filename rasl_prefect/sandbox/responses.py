"""The RASL response envelope for successes and errors, serialised without FastAPI's encoder."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from rasl_prefect.sandbox.clock import isoformat

JSON_MEDIA_TYPE = "application/json"


def dump_json(body: Any) -> bytes:
    """Serialise `body` as compact UTF-8 JSON, keeping Arabic and other non-ASCII text as is."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build_meta(request_id: str, now: float) -> dict[str, Any]:
    """Return the `meta` object every response carries."""
    return {"request_id": request_id, "timestamp": isoformat(now)}


def success_body(
    data: Any, message: str, request_id: str, now: float, extra_meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return `{success: true, data, message, meta}`."""
    meta = build_meta(request_id, now)
    if extra_meta:
        meta.update(extra_meta)
    return {"success": True, "data": data, "message": message, "meta": meta}


def error_body(
    code: str, message: str, details: dict[str, Any], request_id: str, now: float
) -> dict[str, Any]:
    """Return `{success: false, error: {code, message, details}, message, meta}`."""
    return {
        "success": False,
        "error": {"code": code, "message": message, "details": details},
        "message": message,
        "meta": build_meta(request_id, now),
    }


def json_response(
    body: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """Return a JSON response from an already built body."""
    return Response(dump_json(body), status_code, headers, JSON_MEDIA_TYPE)
