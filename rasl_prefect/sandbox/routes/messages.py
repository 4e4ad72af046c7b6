"""Messages: send text, media, template and interactive messages; list and get the history."""

from __future__ import annotations

import os
import re
import secrets
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from rasl_prefect.sandbox import messaging, otp
from rasl_prefect.sandbox.errors import ApiError, field_error, not_found, validation_failed
from rasl_prefect.sandbox.listing import ListSpec, select_records
from rasl_prefect.sandbox.phones import PHONE_PATTERN, clean_phone
from rasl_prefect.sandbox.routes.common import (
    api_route,
    list_query,
    list_reply,
    path_id,
    read_input,
    reply,
)
from rasl_prefect.sandbox.state import MESSAGE_LIST_FIELDS, SandboxState
from rasl_prefect.sandbox.templates import render_template_send
from rasl_prefect.sandbox.validation import Field, check_fields, validate

router = APIRouter()

SEND_PHONE = Field(
    "string",
    required=True,
    min_length=10,
    max_length=20,
    pattern=PHONE_PATTERN,
    required_message="Phone number is required",
    label="phone",
    description="Recipient phone with country code; digits, +, -, spaces and parentheses.",
)
CONTACT_ID = Field("integer", description="An existing contact; skips the lookup by phone.")

TEXT_FIELDS = {
    "phone": SEND_PHONE,
    "message": Field(
        "string",
        required=True,
        max_length=4096,
        required_message="Message text is required",
        description="The text; merge fields such as @{contact_first_name} are replaced.",
    ),
    "contact_id": CONTACT_ID,
}

MEDIA_LIMITS = {
    "image": ({"jpg", "jpeg", "png", "webp"}, 5 * 1024 * 1024),
    "document": (
        {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv"},
        100 * 1024 * 1024,
    ),
    "video": ({"mp4", "3gp"}, 16 * 1024 * 1024),
    "audio": ({"mp3", "ogg", "amr", "aac", "opus"}, 16 * 1024 * 1024),
}
"""Allowed file extensions and the maximum size in bytes of each media type."""

MEDIA_FIELDS = {
    "phone": Field(
        "string",
        required=True,
        min_length=10,
        max_length=15,
        pattern=PHONE_PATTERN,
        required_message="Phone number is required",
        label="phone",
    ),
    "media_type": Field("string", required=True, choices=tuple(MEDIA_LIMITS)),
    "media_url": Field("url", description="Public URL of the media; required without media_file."),
    "media_file": Field("file", description="The media file; required without media_url."),
    "caption": Field("string", max_length=1024, description="Not supported for audio."),
    "filename": Field("string", max_length=255, description="Display name of a document."),
    "contact_id": CONTACT_ID,
}
NEW_CONTACT_FIELDS = {
    "firstname": Field("string", max_length=255, label="contact firstname"),
    "lastname": Field("string", max_length=255, label="contact lastname"),
    "email": Field("email", max_length=191, label="contact email"),
    "country": Field("string", max_length=255, label="contact country"),
    "assigned_id": Field("integer", label="contact assigned id"),
    "groups": Field("string", label="contact groups", description="Comma-separated group ids."),
}

TEMPLATE_FIELDS: dict[str, Field] = {
    "phone": SEND_PHONE,
    "template_name": Field("string", required=True, max_length=255),
    "language": Field(
        "string", required=True, max_length=10, description="For example en or en_GB."
    ),
    "contact_id": CONTACT_ID,
    "header_field_1": Field("string", max_length=1024, description="TEXT header parameter {{1}}."),
    "header_image_url": Field("url"),
    "header_image_file": Field("file"),
    "header_video_url": Field("url"),
    "header_video_file": Field("file"),
    "header_document_url": Field("url"),
    "header_document_file": Field("file"),
    "header_document_name": Field("string", max_length=255),
    **{
        f"field_{number}": Field(
            "string", max_length=1024, description=f"Body parameter {{{{{number}}}}}."
        )
        for number in range(1, 11)
    },
    **{f"button_{number}": Field("string", max_length=2000) for number in range(3)},
    "auto_generate_otp": Field(
        "boolean", description="AUTHENTICATION templates: generate the code."
    ),
    "otp_field_number": Field(
        "integer", minimum=1, maximum=10, description="Which field_N gets the code."
    ),
}

BUTTON = {
    "id": Field("string", required=True, max_length=256),
    "title": Field("string", required=True, max_length=20),
}
ROW = {
    "id": Field("string", required=True, max_length=200),
    "title": Field("string", required=True, max_length=24),
    "description": Field("string", max_length=72),
}
INTERACTIVE_FIELDS = {
    "phone": SEND_PHONE,
    "type": Field("string", required=True, choices=("button", "list")),
    "body_text": Field("string", required=True, max_length=1024),
    "header_text": Field("string", max_length=60),
    "footer_text": Field("string", max_length=60),
    "contact_id": CONTACT_ID,
    "buttons": Field(
        "array", min_length=1, max_length=3, items=Field("object"), description="type=button."
    ),
    "list_button_text": Field("string", max_length=20, description="type=list."),
    "sections": Field(
        "array", min_length=1, max_length=10, items=Field("object"), description="type=list."
    ),
}

MESSAGES_LIST = ListSpec(
    sort_fields=("created_at", "updated_at", "sent_at", "id"),
    default_sort="-created_at",
    search_fields=("message",),
    filters={
        "type": "str",
        "status": "str",
        "interaction_id": "int",
        "direction": "str",
        "created_at": "datetime",
    },
    selectable_fields=MESSAGE_LIST_FIELDS,
)


def _prepare_send(state: SandboxState, request: Request) -> None:
    messaging.check_whatsapp_configured(state)
    messaging.check_send_fault(request.app.state.faults, request.scope["path"])


def _free_form_status(state: SandboxState, contact: dict[str, Any]) -> tuple[str, str | None]:
    """Return the stored status of a text, media or interactive message."""
    if state.plan["enforce_24h_window"] and not messaging.within_service_window(
        state, contact["phone"]
    ):
        return "failed", messaging.OUTSIDE_WINDOW_REASON
    return "sent", None


def _send_data(record: dict[str, Any], chat: dict[str, Any], **extra: Any) -> dict[str, Any]:
    # The response reports `sent` like RASL; a later failure shows up in Get Message.
    data = {
        "message_id": record["message_id"],
        "contact_id": record["contact_id"],
        "phone": record["phone"],
        **extra,
        "status": "sent",
        "sent_at": record["sent_at"],
        "chat_id": chat["id"],
        "chat_message_id": record["id"],
    }
    return data


@api_route(
    router,
    "POST",
    "/messages/text",
    scope="messages:send",
    summary="Send Text Message",
    success_status=201,
    body=TEXT_FIELDS,
    description="Outside the 24-hour customer service window the message is accepted and recorded "
    "as failed.",
)
async def send_text_message(request: Request, state: SandboxState) -> Response:
    """Send a free-form text message."""
    values = validate(await read_input(request), TEXT_FIELDS)
    with state.lock:
        _prepare_send(state, request)
        contact = messaging.resolve_recipient(state, values["phone"], values.get("contact_id"))
        chat = messaging.open_conversation(state, contact)
        text = messaging.apply_merge_fields(values["message"], contact)
        status, reason = _free_form_status(state, contact)
        record = messaging.record_message(
            state, contact, chat, "text", text, status=status, status_message=reason
        )
    return reply(
        request, state, _send_data(record, chat, message=text), "Message sent successfully", 201
    )


def _media_new_contact(values: dict[str, Any]) -> dict[str, Any]:
    nested = values.get("contact")
    source: dict[str, Any] = dict(nested) if isinstance(nested, dict) else {}
    for key, value in values.items():
        match = re.fullmatch(r"contact(?:\.|\[)(\w+)\]?", key)
        if match is not None:
            source[match.group(1)] = value
    checked = validate(source, NEW_CONTACT_FIELDS)
    if "groups" in checked:
        checked["groups"] = [
            int(part) for part in str(checked["groups"]).split(",") if part.strip().isdigit()
        ]
    return checked


async def _store_upload(
    request: Request, state: SandboxState, field: str, upload: UploadFile, media_type: str
) -> str:
    """Check an uploaded file's extension and size, keep it, and return its URL."""
    extensions, max_bytes = MEDIA_LIMITS[media_type]
    filename = upload.filename or "upload"
    extension = os.path.splitext(filename)[1].lstrip(".").lower()
    if extension not in extensions:
        raise field_error(
            field,
            f"The {field} must be a file of type: {', '.join(sorted(extensions))}; got "
            f"{filename!r}.",
        )
    content = await upload.read()
    if len(content) > max_bytes:
        raise field_error(
            field,
            f"The {field} must not be larger than {max_bytes // 1024} kilobytes; "
            f"got {len(content) // 1024}.",
        )
    key = secrets.token_hex(8)
    # NOTE: uploads stay in memory until the next reset or restart, so a long run of large
    # uploads grows the process; they are never written to the state file.
    state.media[key] = (content, upload.content_type or "application/octet-stream")
    return str(request.base_url).rstrip("/") + f"/_sandbox/media/{key}/{filename}"


@api_route(
    router,
    "POST",
    "/messages/media",
    scope="messages:send",
    summary="Send Media Message",
    success_status=201,
    body=MEDIA_FIELDS,
    multipart=True,
    description="Give media_file (multipart) or media_url. Subject to the 24-hour window.",
)
async def send_media_message(request: Request, state: SandboxState) -> Response:
    """Send an image, video, audio or document."""
    raw = await read_input(request)
    values = validate(raw, MEDIA_FIELDS)
    new_contact = _media_new_contact(raw)
    media_type = values["media_type"]
    if "media_url" not in values and "media_file" not in values:
        raise validation_failed(
            {
                "media_url": ["The media url field is required when media file is not present."],
                "media_file": ["The media file field is required when media url is not present."],
            }
        )
    if media_type == "audio" and values.get("caption"):
        raise field_error("caption", "Audio messages cannot have a caption; remove the caption.")

    if "media_file" in values:
        url = await _store_upload(request, state, "media_file", values["media_file"], media_type)
    else:
        url = values["media_url"]

    with state.lock:
        _prepare_send(state, request)
        contact = messaging.resolve_recipient(
            state, values["phone"], values.get("contact_id"), new_contact
        )
        chat = messaging.open_conversation(state, contact)
        status, reason = _free_form_status(state, contact)
        record = messaging.record_message(
            state,
            contact,
            chat,
            media_type,
            values.get("caption"),
            status=status,
            status_message=reason,
            url=url,
        )
    data = _send_data(
        record,
        chat,
        media_type=media_type,
        media_url=url,
        caption=values.get("caption"),
        filename=values.get("filename"),
    )
    return reply(request, state, data, "Media message sent successfully", 201)


@api_route(
    router,
    "POST",
    "/messages/template",
    scope="messages:send",
    summary="Send Template Message",
    success_status=201,
    body=TEMPLATE_FIELDS,
    multipart=True,
    description="The template must be APPROVED in the given language and get exactly its "
    "parameters.",
)
async def send_template_message(request: Request, state: SandboxState) -> Response:
    """Send an approved template; allowed at any time."""
    values = validate(await read_input(request), TEMPLATE_FIELDS)
    uploads = {
        name: values[name]
        for name in ("header_image_file", "header_video_file", "header_document_file")
        if name in values
    }
    for name, upload in uploads.items():
        media_type = name.split("_")[1]
        values[name.replace("_file", "_url")] = await _store_upload(
            request, state, name, upload, media_type
        )

    with state.lock:
        if not state.plan["features"]["whatsapp_templates"]:
            raise ApiError(
                403,
                "FEATURE_NOT_AVAILABLE",
                "The plan does not include WhatsApp templates; upgrade the plan to send templates.",
                {"feature": "whatsapp_templates"},
            )
        _prepare_send(state, request)
        contact = messaging.resolve_recipient(state, values["phone"], values.get("contact_id"))
        rendered = render_template_send(state, values, contact)
        chat = messaging.open_conversation(state, contact)
        record = messaging.record_message(
            state,
            contact,
            chat,
            "template",
            rendered.text,
            url=rendered.header_url,
            extra={
                "template_name": rendered.template["template_name"],
                "language": rendered.template["language"],
            },
        )
        if rendered.otp_code is not None:
            otp.store_otp(
                state,
                phone=clean_phone(values["phone"]),
                purpose=otp.DEFAULT_PURPOSE,
                code=rendered.otp_code,
                expiry_minutes=rendered.template["code_expiration_minutes"] or 10,
                template=rendered.template,
                message_id=record["message_id"],
            )
    data = _send_data(
        record,
        chat,
        template_name=rendered.template["template_name"],
        language=rendered.template["language"],
    )
    return reply(request, state, data, "Template message sent successfully", 201)


def _check_interactive(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if values["type"] == "button":
        buttons = values.get("buttons")
        if not buttons:
            errors["buttons"] = ["The buttons field is required when type is button."]
        else:
            seen: set[Any] = set()
            for index, button in enumerate(buttons):
                _check_nested(button, BUTTON, f"buttons.{index}", errors)
                if button.get("id") in seen:
                    errors.setdefault(f"buttons.{index}.id", []).append(
                        "Button ids must be unique."
                    )
                seen.add(button.get("id"))
    else:
        if not values.get("list_button_text"):
            errors["list_button_text"] = [
                "The list button text field is required when type is list."
            ]
        sections = values.get("sections")
        if not sections:
            errors["sections"] = ["The sections field is required when type is list."]
        else:
            seen_rows: set[Any] = set()
            for index, section in enumerate(sections):
                _check_nested(
                    section,
                    {"title": Field("string", required=True, max_length=24)},
                    f"sections.{index}",
                    errors,
                )
                rows = section.get("rows")
                if not isinstance(rows, list) or not rows:
                    errors.setdefault(f"sections.{index}.rows", []).append(
                        "Each section needs at least one row."
                    )
                    continue
                for row_index, row in enumerate(rows):
                    prefix = f"sections.{index}.rows.{row_index}"
                    _check_nested(row, ROW, prefix, errors)
                    if isinstance(row, dict):
                        if row.get("id") in seen_rows:
                            errors.setdefault(f"{prefix}.id", []).append("Row ids must be unique.")
                        seen_rows.add(row.get("id"))
    if errors:
        raise validation_failed(errors)


def _check_nested(
    item: Any, fields: dict[str, Field], prefix: str, errors: dict[str, list[str]]
) -> None:
    if not isinstance(item, dict):
        errors.setdefault(prefix, []).append(f"The {prefix} item must be an object.")
        return
    _, item_errors = check_fields(item, fields)
    for name, messages in item_errors.items():
        errors.setdefault(f"{prefix}.{name}", []).extend(messages)


@api_route(
    router,
    "POST",
    "/messages/interactive",
    scope="messages:send",
    summary="Send Interactive Message",
    success_status=201,
    body=INTERACTIVE_FIELDS,
    description="Quick-reply buttons (at most 3) or a list (at most 10 sections). Subject to the "
    "24-hour window.",
)
async def send_interactive_message(request: Request, state: SandboxState) -> Response:
    """Send quick-reply buttons or a list."""
    values = validate(await read_input(request), INTERACTIVE_FIELDS)
    _check_interactive(values)
    with state.lock:
        _prepare_send(state, request)
        contact = messaging.resolve_recipient(state, values["phone"], values.get("contact_id"))
        chat = messaging.open_conversation(state, contact)
        status, reason = _free_form_status(state, contact)
        record = messaging.record_message(
            state,
            contact,
            chat,
            "interactive",
            values["body_text"],
            status=status,
            status_message=reason,
        )
    return reply(
        request,
        state,
        _send_data(record, chat, type=values["type"]),
        "Interactive message sent successfully",
        201,
    )


async def _list_messages(request: Request, state: SandboxState) -> Response:
    query = list_query(request, MESSAGES_LIST)
    with state.lock:
        records = list(state.messages.values())
    selected = select_records(records, query, MESSAGES_LIST)
    return list_reply(
        request,
        state,
        selected,
        query,
        "Messages retrieved successfully",
        messaging.message_list_view,
    )


@api_route(
    router,
    "GET",
    "/messages",
    scope="messages:read",
    summary="List Messages",
    query=MESSAGES_LIST,
    description="Sent and received messages, newest first. Also served at /messages/messages.",
)
async def list_messages(request: Request, state: SandboxState) -> Response:
    """List the message history."""
    return await _list_messages(request, state)


@api_route(
    router,
    "GET",
    "/messages/messages",
    scope="messages:read",
    summary="List Messages (documented path)",
    query=MESSAGES_LIST,
    description="The same as GET /messages; the RASL docs show this path.",
)
async def list_messages_documented_path(request: Request, state: SandboxState) -> Response:
    """List the message history at the path the RASL docs show."""
    return await _list_messages(request, state)


@api_route(router, "GET", "/messages/{message_id}", scope="messages:read", summary="Get Message")
async def get_message(request: Request, state: SandboxState) -> Response:
    """Get one message record by its integer id."""
    message_id = path_id(request, "message_id", "Message")
    record = state.messages.get(message_id)
    if record is None:
        raise not_found("Message", message_id)
    return reply(
        request, state, messaging.message_detail_view(record), "Message retrieved successfully"
    )
