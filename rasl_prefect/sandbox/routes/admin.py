"""The sandbox's own admin API under `/_sandbox`: tokens, faults, plan, inbound messages and stats.

It is not part of RASL, needs no token and is never served under `/api/v2`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox import seed
from rasl_prefect.sandbox.clock import isoformat, parse_isoformat
from rasl_prefect.sandbox.errors import field_error, not_found
from rasl_prefect.sandbox.messaging import record_message
from rasl_prefect.sandbox.phones import clean_phone
from rasl_prefect.sandbox.responses import json_response
from rasl_prefect.sandbox.routes.common import get_state, read_input
from rasl_prefect.sandbox.state import new_token_value
from rasl_prefect.sandbox.validation import Field, validate

router = APIRouter(prefix="/_sandbox", tags=["sandbox admin"])

STATUS_ORDER = {"sent": 0, "delivered": 1, "read": 2}
"""Forward order of delivery statuses; `failed` may follow `sent` or `delivered`."""

TOKEN_FIELDS = {
    "name": Field("string", max_length=255),
    "scopes": Field("array", items=Field("string", choices=seed.ALL_SCOPES)),
    "rpm": Field("integer", minimum=1),
    "window_seconds": Field("integer", minimum=1),
    "expires_at": Field("string", description="ISO 8601 expiry."),
    "expires_in_seconds": Field("integer"),
}
INBOUND_FIELDS = {
    "phone": Field("string", required=True, max_length=20),
    "message": Field("string", max_length=4096),
    "type": Field(
        "string", choices=("text", "image", "video", "audio", "document", "interactive", "button")
    ),
}
ADVANCE_FIELDS = {
    "to": Field("string", required=True, choices=("delivered", "read", "failed")),
    "ids": Field("array", items=Field("integer")),
    "reason": Field("string", max_length=1024),
}


def _json(data: Any, status_code: int = 200) -> Response:
    return json_response(data, status_code)  # type: ignore[arg-type]


@router.get("/health", summary="Health check")
async def health() -> Response:
    """Report that the sandbox is up."""
    return _json({"status": "ok"})


@router.post("/reset", summary="Reset state")
async def reset(request: Request) -> Response:
    """Drop every change: seed data back, faults off, stats zero, webhooks off."""
    state = get_state(request)
    state.reset()
    app_state = request.app.state
    app_state.faults.reset()
    app_state.stats.reset()
    app_state.limiter.reset()
    app_state.webhooks.disable()
    state.settings.retry_after = app_state.initial_settings["retry_after"]
    state.settings.window_seconds = app_state.initial_settings["window_seconds"]
    return _json({"status": "reset", "token_id": _seeded_token_id(request)})


def _seeded_token_id(request: Request) -> int | None:
    for record in get_state(request).tokens.values():
        if record["seeded"]:
            return int(record["id"])
    return None


@router.post("/tokens", summary="Create a token")
async def create_token(request: Request) -> Response:
    """Create a token with scopes, a requests-per-window limit and an optional expiry."""
    state = get_state(request)
    values = validate(await read_input(request), TOKEN_FIELDS)
    expires_at = None
    if "expires_at" in values:
        try:
            expires_at = parse_isoformat(values["expires_at"])
        except ValueError:
            raise field_error(
                "expires_at", f"expires_at {values['expires_at']!r} is not ISO 8601."
            ) from None
    elif "expires_in_seconds" in values:
        expires_at = state.now() + values["expires_in_seconds"]
    value = new_token_value()
    with state.lock:
        record = state.add_token(
            value,
            name=values.get("name", "token"),
            scopes=values.get("scopes", seed.ALL_SCOPES),
            rpm=values.get("rpm", state.settings.rpm),
            window_seconds=values.get("window_seconds"),
            expires_at=expires_at,
        )
    return _json({**_token_view(record), "token": value}, 201)


def _token_view(record: dict[str, Any]) -> dict[str, Any]:
    expires_at = record["expires_at"]
    return {
        "id": record["id"],
        "name": record["name"],
        "scopes": record["scopes"],
        "rpm": record["rpm"],
        "window_seconds": record["window_seconds"],
        "expires_at": isoformat(expires_at) if expires_at is not None else None,
        "seeded": record["seeded"],
    }


@router.get("/tokens", summary="List tokens")
async def list_tokens(request: Request) -> Response:
    """List tokens without their values (only hashes are stored)."""
    state = get_state(request)
    return _json({"tokens": [_token_view(record) for record in state.tokens.values()]})


@router.get("/faults", summary="Read fault settings")
async def get_faults(request: Request) -> Response:
    """Return the fault settings and how many faults were injected."""
    faults = request.app.state.faults
    return _json({"settings": faults.describe(), "injected": dict(faults.injected)})


@router.put("/faults", summary="Set fault settings")
async def set_faults(request: Request) -> Response:
    """Replace the fault settings; absent keys go back to off."""
    faults = request.app.state.faults
    faults.configure(await read_input(request))
    return _json({"settings": faults.describe(), "injected": dict(faults.injected)})


@router.get("/settings", summary="Read server settings")
async def get_settings(request: Request) -> Response:
    """Return the rate-limit settings."""
    settings = get_state(request).settings
    return _json(
        {
            "retry_after": settings.retry_after,
            "window_seconds": settings.window_seconds,
            "rpm": settings.rpm,
        }
    )


@router.patch("/settings", summary="Change server settings")
async def patch_settings(request: Request) -> Response:
    """Change whether 429s carry Retry-After and the default window length."""
    state = get_state(request)
    values = validate(
        await read_input(request),
        {"retry_after": Field("boolean"), "window_seconds": Field("integer", minimum=1)},
    )
    if "retry_after" in values:
        state.settings.retry_after = values["retry_after"]
    if "window_seconds" in values:
        state.settings.window_seconds = float(values["window_seconds"])
    return await get_settings(request)


@router.get("/plan", summary="Read the plan")
async def get_plan(request: Request) -> Response:
    """Return the plan limits, features and tenant switches."""
    return _json(get_state(request).plan)


@router.patch("/plan", summary="Change the plan")
async def patch_plan(request: Request) -> Response:
    """Merge `limits` and `features` objects and the top-level switches into the plan."""
    state = get_state(request)
    values = await read_input(request)
    with state.lock:
        plan = state.plan
        for key, value in values.items():
            if key in ("limits", "features"):
                if not isinstance(value, dict) or not set(value) <= set(plan[key]):
                    raise field_error(
                        key, f"{key} takes an object with keys from: {', '.join(plan[key])}."
                    )
                plan[key].update(value)
            elif key in plan:
                plan[key] = value
            else:
                raise field_error(key, f"Unknown plan setting {key!r}; known: {', '.join(plan)}.")
        state.save_plan()
    return _json(state.plan)


@router.post("/clock", summary="Move the sandbox clock forward")
async def advance_clock(request: Request) -> Response:
    """Move the time used for OTP expiry, OTP limits and the 24-hour window forward."""
    state = get_state(request)
    values = validate(
        await read_input(request), {"advance_seconds": Field("integer", required=True, minimum=0)}
    )
    state.clock.advance(values["advance_seconds"])
    return _json({"now": state.now_iso(), "offset_seconds": state.clock.offset_seconds})


@router.post("/inbound", summary="Add an inbound message")
async def add_inbound_message(request: Request) -> Response:
    """Record a message from a customer, opening their 24-hour window; creates the contact if "
    "needed."""
    state = get_state(request)
    values = validate(await read_input(request), INBOUND_FIELDS)
    phone = clean_phone(values["phone"])
    if not phone:
        raise field_error("phone", "The phone field must contain digits.")
    with state.lock:
        contact_id = state.phone_index.get(phone)
        if contact_id is None:
            contact = state.insert_contact(
                {
                    "firstname": phone,
                    "lastname": "",
                    "phone": phone,
                    "type": "lead",
                    "source_id": seed.DEFAULT_SOURCE_ID,
                    "status_id": seed.DEFAULT_STATUS_ID,
                }
            )
        else:
            contact = state.contacts[contact_id]
        key = str(contact["id"])
        chat = state.chats.get(key) or {
            "id": len(state.chats) + 1,
            "contact_id": contact["id"],
            "months": [],
        }
        state.chats.put(key, chat)
        record = record_message(
            state,
            contact,
            chat,
            values.get("type", "text"),
            values.get("message", ""),
            direction="inbound",
            status="received",
        )
        state.last_inbound.put(phone, state.now())
    return _json(
        {
            "id": record["id"],
            "contact_id": contact["id"],
            "interaction_id": chat["id"],
            "phone": phone,
        },
        201,
    )


@router.get("/otp-codes", summary="Read the OTP codes sent")
async def otp_codes(request: Request) -> Response:
    """Return every OTP code sent, newest last; `phone` filters by phone."""
    state = get_state(request)
    phone = request.query_params.get("phone")
    codes = list(state.sent_otps)
    if phone:
        cleaned = clean_phone(phone)
        codes = [entry for entry in codes if entry["phone"] == cleaned]
    return _json({"codes": codes})


@router.post("/messages/advance", summary="Advance message statuses")
async def advance_message_status(request: Request) -> Response:
    """Move outbound messages forward to `delivered`, `read` or `failed`; `ids` defaults to all."""
    state = get_state(request)
    values = validate(await read_input(request), ADVANCE_FIELDS)
    target = values["to"]
    with state.lock:
        ids = values.get("ids")
        records = (
            [state.messages[message_id] for message_id in ids if message_id in state.messages]
            if ids is not None
            else [record for record in state.messages.values() if record["direction"] == "outbound"]
        )
        if ids is not None and len(records) != len(ids):
            missing = [message_id for message_id in ids if message_id not in state.messages]
            raise not_found("Message", ", ".join(map(str, missing)))
        changed = 0
        for record in records:
            if not _can_move(record["status"], target):
                continue
            record["status"] = target
            record["is_read"] = target == "read"
            if target == "failed":
                record["status_message"] = values.get(
                    "reason", "Message failed to send (set by the sandbox admin)."
                )
            record["updated_at"] = state.now_iso()
            state.messages.put(record["id"], record)
            changed += 1
    return _json({"updated": changed, "status": target})


def _can_move(current: str, target: str) -> bool:
    if current not in STATUS_ORDER:
        return False
    if target == "failed":
        return current in ("sent", "delivered")
    return STATUS_ORDER[target] > STATUS_ORDER[current]


@router.post("/contacts/{contact_id}/opt-out", summary="Set a contact's opt-out")
async def set_opt_out(request: Request, contact_id: int) -> Response:
    """Set `is_opted_out` of a contact, as if they had replied STOP (or opted back in)."""
    state = get_state(request)
    values = validate(await read_input(request), {"opted_out": Field("boolean")})
    with state.lock:
        contact = state.contacts.get(contact_id)
        if contact is None:
            raise not_found("Contact", contact_id)
        state.update_contact(contact, {"is_opted_out": values.get("opted_out", True)})
    return _json(state.contact_view(contact))


@router.post("/templates", summary="Add a template")
async def add_template(request: Request) -> Response:
    """Add a template, as if it had been created in Meta and synced."""
    state = get_state(request)
    values = await read_input(request)
    checked = validate(
        values,
        {
            "template_name": Field("string", required=True, max_length=255),
            "language": Field("string", required=True, max_length=10),
            "category": Field(
                "string", required=True, choices=("MARKETING", "UTILITY", "AUTHENTICATION")
            ),
            "status": Field("string", choices=("APPROVED", "PENDING", "REJECTED")),
            "body": Field("string", required=True),
            "header_format": Field(
                "string", choices=("NONE", "TEXT", "IMAGE", "VIDEO", "DOCUMENT")
            ),
            "header_text": Field("string"),
        },
    )
    body = checked["body"]
    header_text = checked.get("header_text")
    template = seed._template(
        str(1290017745300000 + state.templates.last_id + 1),
        checked["template_name"],
        checked["language"],
        checked["category"],
        checked.get("status", "APPROVED"),
        body,
        body.count("{{"),
        header_format=checked.get("header_format", "TEXT" if header_text else "NONE"),
        header_text=header_text,
        header_params=(header_text or "").count("{{"),
    )
    with state.lock:
        template_id = state.templates.next_id()
        now = state.now_iso()
        record = {"id": template_id, **template, "created_at": now, "updated_at": now}
        state.templates.put(template_id, record)
    return _json(record, 201)


async def create_lookup(request: Request, kind: str) -> Response:
    """Create a contact source or status (RASL v2 has no endpoint for them)."""
    state = get_state(request)
    table, resource = _lookup_table(request, kind)
    values = validate(
        await read_input(request),
        {"name": Field("string", required=True, max_length=255), "color": Field("string")},
    )
    with state.lock:
        record_id = table.next_id()
        now = state.now_iso()
        record = {"id": record_id, "name": values["name"], "created_at": now, "updated_at": now}
        if resource == "status":
            record["color"] = values.get("color", "#6b7280")
        table.put(record_id, record)
        state.emit(resource, "created", record, None)
    return _json(record, 201)


async def update_lookup(request: Request, kind: str, record_id: int) -> Response:
    """Rename a contact source or status (or recolour a status)."""
    state = get_state(request)
    table, resource = _lookup_table(request, kind)
    values = validate(
        await read_input(request),
        {"name": Field("string", max_length=255), "color": Field("string")},
    )
    with state.lock:
        record = table.get(record_id)
        if record is None:
            raise not_found(resource.capitalize(), record_id)
        previous = dict(record)
        record.update(values)
        record["updated_at"] = state.now_iso()
        table.put(record_id, record)
        state.emit(resource, "updated", record, previous)
    return _json(record)


async def delete_lookup(request: Request, kind: str, record_id: int) -> Response:
    """Delete a contact source or status."""
    state = get_state(request)
    table, resource = _lookup_table(request, kind)
    with state.lock:
        record = table.remove(record_id)
        if record is None:
            raise not_found(resource.capitalize(), record_id)
        state.emit(resource, "deleted", record, record)
    return _json({"deleted": record_id})


def _lookup_table(request: Request, kind: str) -> tuple[Any, str]:
    state = get_state(request)
    if kind == "sources":
        return state.sources, "source"
    return state.statuses, "status"


def _register_lookup_routes(kind: str, singular: str) -> None:
    """Register create, update and delete routes for `sources` or `statuses`."""

    async def create(request: Request) -> Response:
        return await create_lookup(request, kind)

    async def update(request: Request, record_id: int) -> Response:
        return await update_lookup(request, kind, record_id)

    async def delete(request: Request, record_id: int) -> Response:
        return await delete_lookup(request, kind, record_id)

    router.add_api_route(
        f"/{kind}", create, methods=["POST"], summary=f"Create a {singular}", name=f"create_{kind}"
    )
    router.add_api_route(
        f"/{kind}/{{record_id}}",
        update,
        methods=["PATCH"],
        summary=f"Update a {singular}",
        name=f"update_{kind}",
    )
    router.add_api_route(
        f"/{kind}/{{record_id}}",
        delete,
        methods=["DELETE"],
        summary=f"Delete a {singular}",
        name=f"delete_{kind}",
    )


_register_lookup_routes("sources", "source")
_register_lookup_routes("statuses", "status")


@router.get("/stats", summary="Request statistics")
async def stats(request: Request) -> Response:
    """Return request counts per route and status, 429s, faults and accepted requests per window."""
    app_state = request.app.state
    state = get_state(request)
    names = {record["id"]: record["name"] for record in state.tokens.values()}
    windows = {
        str(token_id): {"name": names.get(token_id), "windows": token_windows}
        for token_id, token_windows in app_state.limiter.snapshot().items()
    }
    return _json(
        {
            **app_state.stats.snapshot(),
            "faults_injected": dict(app_state.faults.injected),
            "tokens": windows,
            "contacts": len(state.contacts),
            "messages": len(state.messages),
        }
    )


@router.get("/webhooks", summary="Read webhook deliveries")
async def webhook_deliveries(request: Request) -> Response:
    """Return the webhook configuration (without the secret) and the deliveries so far."""
    dispatcher = request.app.state.webhooks
    config = dispatcher.config
    described = None
    if config is not None:
        described = {
            "url": config.url,
            "events": config.events,
            "timeout_seconds": config.timeout_seconds,
        }
    return _json({"config": described, **dispatcher.deliveries()})


@router.put("/webhooks", summary="Configure webhooks")
async def configure_webhooks(request: Request) -> Response:
    """Send CRM change events to `url`, signed with `secret` (a random one when absent)."""
    dispatcher = request.app.state.webhooks
    config = dispatcher.configure(await read_input(request))
    return _json(
        {
            "url": config.url,
            "events": config.events,
            "timeout_seconds": config.timeout_seconds,
            "secret": config.secret,
        }
    )


@router.delete("/webhooks", summary="Turn webhooks off")
async def disable_webhooks(request: Request) -> Response:
    """Stop sending webhooks."""
    request.app.state.webhooks.disable()
    return _json({"config": None})


@router.get("/media/{key}/{filename}", summary="Download uploaded media")
async def media(request: Request, key: str, filename: str) -> Response:
    """Return a file uploaded with Send Media or Send Template."""
    stored = get_state(request).media.get(key)
    if stored is None:
        raise not_found("Media", key)
    content, content_type = stored
    return Response(content, media_type=content_type)
