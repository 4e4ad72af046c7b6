"""Message tasks against the sandbox over real HTTP, checked by reading the history back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslNotFoundError, RaslScopeError, RaslValidationError
from rasl_prefect.models import Message, Page, SentMessage
from rasl_prefect.tasks import (
    get_message,
    list_messages,
    send_interactive_message,
    send_media_message,
    send_template_message,
    send_text_message,
)
from rasl_prefect.tasks.listing import ItemList

PHONE = "+966500000011"
ARABIC_TEXT = "مرحبا \u200fسارة\u200f، تم شحن طلبك"

# The smallest valid PNG: a 1x1 transparent pixel.
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def history(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/messages", params={"per_page": 100})
    response.raise_for_status()
    return list(response.json()["data"])


def test_send_text_records_message(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_text_message.fn(credentials, phone=PHONE, message="Your order has shipped.")

    assert isinstance(sent, SentMessage)
    assert sent.message_id is not None
    assert sent.message_id.startswith("wamid.")
    assert sent.phone == "966500000011"
    recorded = history(api)
    assert [item["message_id"] for item in recorded] == [sent.message_id]
    assert recorded[0]["message"] == "Your order has shipped."


def test_send_text_keeps_arabic(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_text_message.fn(credentials, phone=PHONE, message=ARABIC_TEXT)

    assert sent.message == ARABIC_TEXT
    assert history(api)[0]["message"] == ARABIC_TEXT


def test_send_text_rejects_long_message(credentials: RaslCredentials, api: httpx.Client) -> None:
    with pytest.raises(RaslValidationError) as raised:
        send_text_message.fn(credentials, phone=PHONE, message="x" * 4097)

    assert "message" in raised.value.field_errors
    assert history(api) == []


def test_send_text_checks_scope_first(sandbox: Any, api: httpx.Client) -> None:
    credentials = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, scopes=["messages:read"]
    )

    with pytest.raises(RaslScopeError):
        send_text_message.fn(credentials, phone=PHONE, message="Hello")

    assert history(api) == []


def test_send_text_server_rejects_scope(sandbox: Any, api: httpx.Client) -> None:
    record = sandbox.admin.create_token(name="reader", scopes=["messages:read"])
    credentials = RaslCredentials(api_token=record["token"], base_url=sandbox.base_url)

    with pytest.raises(RaslScopeError) as raised:
        send_text_message.fn(credentials, phone=PHONE, message="Hello")

    assert raised.value.code == "INSUFFICIENT_SCOPE"
    assert history(api) == []


def test_send_media_url(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_media_message.fn(
        credentials,
        phone=PHONE,
        media_type="image",
        media_url="http://127.0.0.1:9/catalogue/spring.png",
        caption="Spring catalogue",
    )

    assert sent.media_type == "image"
    recorded = history(api)
    assert recorded[0]["message_id"] == sent.message_id
    assert recorded[0]["type"] == "image"


def test_send_media_uploads_file(
    credentials: RaslCredentials, api: httpx.Client, tmp_path: Path
) -> None:
    image = tmp_path / "pixel.png"
    image.write_bytes(PNG_BYTES)

    sent = send_media_message.fn(
        credentials, phone=PHONE, media_type="image", media_file=str(image)
    )

    assert sent.media_url
    assert history(api)[0]["message_id"] == sent.message_id


def test_send_media_rejects_audio_caption(credentials: RaslCredentials, api: httpx.Client) -> None:
    with pytest.raises(RaslValidationError):
        send_media_message.fn(
            credentials,
            phone=PHONE,
            media_type="audio",
            media_url="http://127.0.0.1:9/voice.ogg",
            caption="Listen",
        )

    assert history(api) == []


def test_send_template_fills_body(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_template_message.fn(
        credentials,
        phone=PHONE,
        template_name="order_confirmation",
        language="ar",
        body=["سارة", "#1042", "250 SAR"],
    )

    assert sent.message_id is not None
    recorded = history(api)
    assert recorded[0]["message_id"] == sent.message_id
    assert recorded[0]["type"] == "template"
    assert "سارة" in recorded[0]["message"]
    assert "#1042" in recorded[0]["message"]


def test_send_template_accepts_parameters(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_template_message.fn(
        credentials,
        phone=PHONE,
        template_name="welcome_offer",
        language="en",
        parameters={"field_1": "Sara"},
    )

    assert history(api)[0]["message_id"] == sent.message_id


def test_send_template_header_url(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_template_message.fn(
        credentials,
        phone=PHONE,
        template_name="spring_sale",
        language="en",
        body=["Sara"],
        header_image_url="http://127.0.0.1:9/banners/spring.png",
    )

    assert history(api)[0]["message_id"] == sent.message_id


def test_send_template_uploads_header(
    credentials: RaslCredentials, api: httpx.Client, tmp_path: Path
) -> None:
    banner = tmp_path / "banner.png"
    banner.write_bytes(PNG_BYTES)

    sent = send_template_message.fn(
        credentials,
        phone=PHONE,
        template_name="spring_sale",
        language="en",
        body=["Sara"],
        header_image_file=str(banner),
    )

    assert history(api)[0]["message_id"] == sent.message_id


def test_send_template_needs_header(credentials: RaslCredentials, api: httpx.Client) -> None:
    with pytest.raises(RaslValidationError):
        send_template_message.fn(
            credentials, phone=PHONE, template_name="spring_sale", language="en", body=["Sara"]
        )

    assert history(api) == []


def test_send_template_generates_otp(
    sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    sent = send_template_message.fn(
        credentials,
        phone=PHONE,
        template_name="otp_login",
        language="en",
        auto_generate_otp=True,
        otp_field_number=1,
    )

    code = sandbox.admin.latest_otp_code(PHONE)
    assert len(code) == 6
    assert history(api)[0]["message_id"] == sent.message_id
    assert history(api)[0]["message"].startswith(code)


def test_send_template_unknown_template(credentials: RaslCredentials, api: httpx.Client) -> None:
    with pytest.raises(RaslNotFoundError):
        send_template_message.fn(
            credentials, phone=PHONE, template_name="no_such_template", language="en", body=["x"]
        )

    assert history(api) == []


def test_send_interactive_buttons(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_interactive_message.fn(
        credentials,
        phone=PHONE,
        type="button",
        body_text="Can we deliver tomorrow morning?",
        buttons=[{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
    )

    assert sent.type == "button"
    recorded = history(api)
    assert recorded[0]["message_id"] == sent.message_id
    assert recorded[0]["type"] == "interactive"


def test_send_interactive_list(credentials: RaslCredentials, api: httpx.Client) -> None:
    sent = send_interactive_message.fn(
        credentials,
        phone=PHONE,
        type="list",
        body_text="Pick a delivery slot",
        list_button_text="Slots",
        sections=[
            {
                "title": "Tomorrow",
                "rows": [
                    {"id": "am", "title": "Morning", "description": "8:00 to 12:00"},
                    {"id": "pm", "title": "Afternoon"},
                ],
            }
        ],
    )

    assert sent.type == "list"
    assert history(api)[0]["message_id"] == sent.message_id


def test_send_interactive_rejects_four_buttons(
    credentials: RaslCredentials, api: httpx.Client
) -> None:
    buttons = [{"id": str(number), "title": f"Option {number}"} for number in range(4)]

    with pytest.raises(RaslValidationError):
        send_interactive_message.fn(
            credentials, phone=PHONE, type="button", body_text="Choose", buttons=buttons
        )

    assert history(api) == []


def test_list_messages_reads_every_page(credentials: RaslCredentials) -> None:
    for number in range(5):
        send_text_message.fn(credentials, phone=PHONE, message=f"Message {number}")

    messages = list_messages.fn(credentials, per_page=2)

    assert isinstance(messages, ItemList)
    assert len(messages.items) == 5
    assert all(isinstance(message, Message) for message in messages.items)
    assert {message.message for message in messages.items} == {f"Message {n}" for n in range(5)}


def test_list_messages_one_page(credentials: RaslCredentials) -> None:
    for number in range(5):
        send_text_message.fn(credentials, phone=PHONE, message=f"Message {number}")

    page = list_messages.fn(credentials, page=3, per_page=2)

    assert isinstance(page, Page)
    assert len(page.items) == 1
    assert page.total == 5
    assert page.has_next_page() is False


def test_list_messages_filters_direction(sandbox: Any, credentials: RaslCredentials) -> None:
    sandbox.admin.add_inbound_message(PHONE, message="Is my order ready?")
    send_text_message.fn(credentials, phone=PHONE, message="Yes, it ships today.")

    inbound = list_messages.fn(credentials, filter={"direction": "inbound"})

    assert isinstance(inbound, ItemList)
    assert [message.message for message in inbound.items] == ["Is my order ready?"]


def test_get_message_reads_status(sandbox: Any, credentials: RaslCredentials) -> None:
    sandbox.admin.add_inbound_message(PHONE)
    send_text_message.fn(credentials, phone=PHONE, message="Hello")
    outbound = list_messages.fn(credentials, filter={"direction": "outbound"})
    assert isinstance(outbound, ItemList)
    record_id = outbound.items[0].id
    assert record_id is not None
    sandbox.admin.advance_message_status("read", ids=[record_id])

    message = get_message.fn(credentials, message_id=record_id)

    assert message.id == record_id
    assert message.status == "read"


def test_get_message_unknown_id(credentials: RaslCredentials) -> None:
    with pytest.raises(RaslNotFoundError):
        get_message.fn(credentials, message_id=999_999)
