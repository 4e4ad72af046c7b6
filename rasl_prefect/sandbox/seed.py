"""The data a fresh sandbox starts with: one tenant, sources, statuses and templates."""

from __future__ import annotations

import json
from typing import Any

ALL_SCOPES = (
    "messages:send",
    "messages:read",
    "templates:read",
    "templates:sync",
    "contacts:read",
    "contacts:write",
    "contacts:delete",
    "groups:read",
    "groups:write",
    "groups:delete",
    "account:read",
)
"""Every scope the sandbox defines; the seeded token has all of them."""

TENANT: dict[str, Any] = {
    "id": 1,
    "name": "Sandbox Trading Co",
    "subdomain": "sandbox",
    "domain": "sandbox",
    "status": "active",
}

SOURCES: list[dict[str, Any]] = [
    {"id": 1, "name": "Website"},
    {"id": 2, "name": "WhatsApp"},
    {"id": 3, "name": "Import"},
]

STATUSES: list[dict[str, Any]] = [
    {"id": 1, "name": "New", "color": "#3b82f6"},
    {"id": 2, "name": "Contacted", "color": "#f59e0b"},
    {"id": 3, "name": "Customer", "color": "#10b981"},
]

DEFAULT_SOURCE_ID = 2
"""Source of contacts created automatically by a send (the tenant's "WhatsApp" source)."""

DEFAULT_STATUS_ID = 1
"""Status of contacts created automatically by a send (the tenant's "New" status)."""


def _template(
    template_id: str,
    name: str,
    language: str,
    category: str,
    status: str,
    body: str,
    body_params: int,
    *,
    header_format: str = "NONE",
    header_text: str | None = None,
    header_params: int = 0,
    footer: str | None = None,
    buttons: list[dict[str, Any]] | None = None,
    code_expiration_minutes: int | None = None,
) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if header_format != "NONE":
        header: dict[str, Any] = {"type": "HEADER", "format": header_format}
        if header_text is not None:
            header["text"] = header_text
        components.append(header)
    components.append({"type": "BODY", "text": body})
    if footer is not None:
        components.append({"type": "FOOTER", "text": footer})
    if buttons:
        components.append({"type": "BUTTONS", "buttons": buttons})
    return {
        "template_id": template_id,
        "template_name": name,
        "language": language,
        "category": category,
        "status": status,
        "header_data_format": header_format,
        "header_data_text": header_text,
        "header_params_count": header_params,
        "header_file_url": None,
        "header_variable_value": None,
        "body_data": body,
        "body_params_count": body_params,
        "body_variable_value": None,
        "footer_data": footer,
        "footer_params_count": 0,
        "buttons_data": json.dumps(buttons) if buttons else None,
        "message_send_ttl_seconds": 600 if category == "AUTHENTICATION" else None,
        "add_security_recommendation": category == "AUTHENTICATION",
        "code_expiration_minutes": code_expiration_minutes,
        "otp_button_config": (
            {"type": "COPY_CODE", "text": "Copy code"} if category == "AUTHENTICATION" else None
        ),
        "components": components,
    }


def seed_templates() -> list[dict[str, Any]]:
    """Return the seeded templates, without ids and timestamps."""
    return [
        _template(
            "1290017745210301",
            "welcome_offer",
            "en",
            "MARKETING",
            "APPROVED",
            "Hi {{1}}, welcome to Sandbox Trading Co! Enjoy 10% off your first order.",
            1,
            footer="Reply STOP to opt out",
        ),
        _template(
            "1290017745210302",
            "order_confirmation",
            "en",
            "UTILITY",
            "APPROVED",
            "Hi {{1}}, your order {{2}} is confirmed. Total: {{3}}.",
            3,
        ),
        _template(
            "1290017745210303",
            "order_confirmation",
            "ar",
            "UTILITY",
            "APPROVED",
            "مرحبا {{1}}، تم تأكيد طلبك {{2}}. المجموع: {{3}}.",
            3,
        ),
        _template(
            "1290017745210304",
            "otp_login",
            "en",
            "AUTHENTICATION",
            "APPROVED",
            "{{1}} is your verification code. For your security, do not share this code.",
            1,
            buttons=[{"type": "URL", "text": "Copy code", "url": "https://sandbox.local/otp{{1}}"}],
            code_expiration_minutes=10,
        ),
        _template(
            "1290017745210305",
            "shipping_update",
            "en",
            "UTILITY",
            "APPROVED",
            "Hi {{1}}, your parcel is on its way with {{2}}.",
            2,
            header_format="TEXT",
            header_text="Order {{1}} shipped",
            header_params=1,
            buttons=[{"type": "URL", "text": "Track", "url": "https://sandbox.local/track/{{1}}"}],
        ),
        _template(
            "1290017745210306",
            "spring_sale",
            "en",
            "MARKETING",
            "APPROVED",
            "Hi {{1}}, our spring sale starts today.",
            1,
            header_format="IMAGE",
        ),
        _template(
            "1290017745210307",
            "holiday_promo",
            "en",
            "MARKETING",
            "PENDING",
            "Hi {{1}}, happy holidays from Sandbox Trading Co.",
            1,
        ),
        _template(
            "1290017745210308",
            "flash_sale",
            "en",
            "MARKETING",
            "REJECTED",
            "Flash sale: {{1}} off for the next hour!",
            1,
        ),
    ]


def default_plan() -> dict[str, Any]:
    """Return the seeded plan: limits (-1 is unlimited), features and tenant configuration."""
    return {
        "limits": {
            "contacts": 100_000,
            "conversations": -1,
            "campaigns": 10,
            "staff": 5,
        },
        "features": {
            "whatsapp_templates": True,
            "bulk_messaging": True,
            "chatbot": True,
            "advanced_analytics": False,
            "api_access": True,
            "custom_branding": False,
        },
        "staff_count": 1,
        "active_campaigns": 0,
        "whatsapp_configured": True,
        "auto_contact_creation": True,
        "enforce_24h_window": True,
        "plan_name": "Sandbox",
    }
