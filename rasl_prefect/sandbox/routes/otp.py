"""Auth (OTP): send, verify, resend and check one-time passwords; list AUTHENTICATION templates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox import messaging, otp
from rasl_prefect.sandbox.clock import isoformat
from rasl_prefect.sandbox.errors import ApiError, field_error
from rasl_prefect.sandbox.listing import ListSpec, select_records
from rasl_prefect.sandbox.phones import PHONE_PATTERN, clean_phone
from rasl_prefect.sandbox.routes.common import api_route, list_query, list_reply, read_input, reply
from rasl_prefect.sandbox.state import SandboxState
from rasl_prefect.sandbox.templates import find_template
from rasl_prefect.sandbox.validation import Field, validate

router = APIRouter()

OTP_PHONE = Field(
    "string",
    required=True,
    min_length=10,
    max_length=20,
    pattern=PHONE_PATTERN,
    required_message="Phone number is required",
    label="phone",
)
PURPOSE = Field(
    "string", max_length=50, description="Defaults to authentication; verify with the same purpose."
)
EXPIRY = Field(
    "integer", minimum=1, maximum=60, description="Minutes until the code expires; default 10."
)
LANGUAGE = Field("string", max_length=10, description="Defaults to en.")

SEND_OTP_FIELDS = {
    "phone": OTP_PHONE,
    "template_name": Field("string", required=True, max_length=255),
    "code": Field("string", required=True, max_length=15, required_message="OTP code is required"),
    "language": LANGUAGE,
    "expiry_minutes": EXPIRY,
    "contact_id": Field("integer"),
    "purpose": PURPOSE,
    "additional_params": Field("array", max_length=8, items=Field("string", max_length=1024)),
}
VERIFY_FIELDS = {
    "phone": OTP_PHONE,
    "code": Field(
        "string", required=True, max_length=15, required_message="Verification code is required"
    ),
    "purpose": PURPOSE,
}
RESEND_FIELDS = {
    "phone": OTP_PHONE,
    "template_name": Field("string", required=True, max_length=255),
    "language": LANGUAGE,
    "expiry_minutes": EXPIRY,
    "purpose": PURPOSE,
}
STATUS_FIELDS = {"phone": OTP_PHONE, "purpose": PURPOSE}

AUTH_TEMPLATE_FIELDS = (
    "id",
    "template_name",
    "language",
    "body_text",
    "body_params_count",
    "header_format",
    "header_text",
    "footer_text",
    "status",
    "created_at",
)
AUTH_TEMPLATES_LIST = ListSpec(
    sort_fields=("template_name", "created_at", "language"),
    default_sort="template_name",
    search_fields=("template_name", "body_text"),
    filters={"language": "str", "template_name": "str"},
    selectable_fields=AUTH_TEMPLATE_FIELDS,
)


def _auth_template(state: SandboxState, name: str, language: str) -> dict[str, Any]:
    if not state.plan["features"]["whatsapp_templates"]:
        raise ApiError(
            403,
            "FEATURE_NOT_AVAILABLE",
            "The plan does not include WhatsApp templates, which OTPs are sent with; upgrade the "
            "plan.",
            {"feature": "whatsapp_templates"},
        )
    template = find_template(state, name, language)
    if template["category"] != "AUTHENTICATION":
        raise field_error(
            "template_name",
            f"Template {name!r} is {template['category']}; OTPs need an AUTHENTICATION template.",
        )
    if template["status"] != "APPROVED":
        raise field_error(
            "template_name",
            f"Template {name!r} is {template['status']}; only APPROVED templates can be sent.",
        )
    return template


def _send_code(
    request: Request,
    state: SandboxState,
    values: dict[str, Any],
    code: str,
) -> dict[str, Any]:
    """Send `code` with an AUTHENTICATION template and store it as the active OTP."""
    language = values.get("language", "en")
    purpose = values.get("purpose", otp.DEFAULT_PURPOSE)
    expiry_minutes = values.get("expiry_minutes", 10)
    template = _auth_template(state, values["template_name"], language)
    messaging.check_whatsapp_configured(state)
    messaging.check_send_fault(request.app.state.faults, request.scope["path"])
    contact = messaging.resolve_recipient(state, values["phone"], values.get("contact_id"))
    chat = messaging.open_conversation(state, contact)

    parameters = [code, str(expiry_minutes), *values.get("additional_params", [])]
    text = template["body_data"]
    for number, value in enumerate(parameters, start=1):
        text = text.replace("{{" + str(number) + "}}", value)
    record = messaging.record_message(
        state,
        contact,
        chat,
        "template",
        text,
        extra={"template_name": template["template_name"], "language": template["language"]},
    )
    stored = otp.store_otp(
        state,
        phone=clean_phone(values["phone"]),
        purpose=purpose,
        code=code,
        expiry_minutes=expiry_minutes,
        template=template,
        message_id=record["message_id"],
    )
    return {
        "message_id": record["message_id"],
        "contact_id": contact["id"],
        "phone": clean_phone(values["phone"]),
        "template_name": template["template_name"],
        "language": template["language"],
        "code_sent": True,
        "expiry_minutes": expiry_minutes,
        "expires_at": isoformat(stored["expires_at"]),
        "status": "sent",
        "sent_at": record["sent_at"],
    }


@api_route(
    router,
    "POST",
    "/auth/send-otp",
    scope="messages:send",
    summary="Send OTP",
    success_status=201,
    body=SEND_OTP_FIELDS,
    description="The caller supplies the code. One active OTP per phone and purpose: a new one "
    "replaces it.",
)
async def send_otp(request: Request, state: SandboxState) -> Response:
    """Send a caller-supplied code with an AUTHENTICATION template."""
    values = validate(await read_input(request), SEND_OTP_FIELDS)
    with state.lock:
        data = _send_code(request, state, values, values["code"])
    return reply(request, state, data, "OTP sent successfully", 201)


@api_route(
    router,
    "POST",
    "/auth/verify",
    scope="messages:send",
    summary="Verify OTP",
    body=VERIFY_FIELDS,
    description="At most 10 verification requests per phone per minute; 5 wrong codes block the "
    "OTP.",
)
async def verify_otp(request: Request, state: SandboxState) -> Response:
    """Check a code; a correct code is used up."""
    values = validate(await read_input(request), VERIFY_FIELDS)
    phone = clean_phone(values["phone"])
    purpose = values.get("purpose", otp.DEFAULT_PURPOSE)
    with state.lock:
        otp.hit_limiter(
            state, state.otp_verify_hits, phone, otp.VERIFY_LIMIT, "verification attempts"
        )
        otp.verify_code(state, phone, purpose, values["code"])
        state.otp_verify_hits.pop(phone, None)
    data = {"phone": phone, "purpose": purpose, "verified_at": state.now_iso()}
    return reply(request, state, data, "OTP verified successfully")


@api_route(
    router,
    "POST",
    "/auth/resend",
    scope="messages:send",
    summary="Resend OTP",
    success_status=201,
    body=RESEND_FIELDS,
    description="Sends a new random 6-digit code and deletes the previous one; at most 3 per phone "
    "per 5 minutes.",
)
async def resend_otp(request: Request, state: SandboxState) -> Response:
    """Send a new 6-digit code in place of the previous one."""
    values = validate(await read_input(request), RESEND_FIELDS)
    phone = clean_phone(values["phone"])
    with state.lock:
        otp.hit_limiter(state, state.otp_resend_hits, phone, otp.RESEND_LIMIT, "OTP resends")
        state.otps.remove(otp.otp_key(phone, values.get("purpose", otp.DEFAULT_PURPOSE)))
        data = _send_code(request, state, values, otp.generate_code())
    return reply(request, state, data, "OTP resent successfully", 201)


@api_route(
    router,
    "POST",
    "/auth/status",
    scope="messages:send",
    summary="Check OTP Status",
    body=STATUS_FIELDS,
    description="Read-only: counts no attempt and does not use the code up.",
)
async def check_otp_status(request: Request, state: SandboxState) -> Response:
    """Report whether an OTP is active, its expiry and attempts."""
    values = validate(await read_input(request), STATUS_FIELDS)
    phone = clean_phone(values["phone"])
    with state.lock:
        data = otp.otp_status(state, phone, values.get("purpose", otp.DEFAULT_PURPOSE))
    if data is None:
        empty = {
            "has_active_otp": False,
            "expires_at": None,
            "expires_in_seconds": None,
            "is_expired": None,
            "verification_attempts": 0,
            "max_attempts": otp.MAX_ATTEMPTS,
            "attempts_remaining": None,
            "created_at": None,
        }
        return reply(request, state, empty, "No active OTP found")
    return reply(request, state, data, "OTP status retrieved successfully")


def _auth_template_view(template: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": template["id"],
        "template_name": template["template_name"],
        "language": template["language"],
        "body_text": template["body_data"],
        "body_params_count": template["body_params_count"],
        "header_format": template["header_data_format"],
        "header_text": template["header_data_text"],
        "footer_text": template["footer_data"],
        "status": template["status"],
        "created_at": template["created_at"],
    }


@api_route(
    router,
    "GET",
    "/auth/templates",
    scope="templates:read",
    summary="List Authentication Templates",
    query=AUTH_TEMPLATES_LIST,
    description="Only APPROVED templates of category AUTHENTICATION.",
)
async def list_authentication_templates(request: Request, state: SandboxState) -> Response:
    """List the templates an OTP can be sent with."""
    query = list_query(request, AUTH_TEMPLATES_LIST)
    with state.lock:
        records = [
            _auth_template_view(template)
            for template in state.templates.values()
            if template["category"] == "AUTHENTICATION" and template["status"] == "APPROVED"
        ]
    selected = select_records(records, query, AUTH_TEMPLATES_LIST)
    return list_reply(
        request, state, selected, query, "Authentication templates retrieved successfully", dict
    )
