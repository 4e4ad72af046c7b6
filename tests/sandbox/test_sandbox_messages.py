"""Send Text, Media, Template and Interactive; List Messages and Get Message."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PHONE = "+966500000011"
CLEANED = "966500000011"


def template_body(**overrides: Any) -> dict[str, Any]:
    body = {"phone": PHONE, "template_name": "welcome_offer", "language": "en", "field_1": "Sara"}
    body.update(overrides)
    return body


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def field_errors(response: httpx.Response) -> dict[str, list[str]]:
    return dict(response.json()["error"]["details"]["errors"])


def test_send_text_returns_201(api: httpx.Client) -> None:
    response = api.post("/messages/text", json={"phone": PHONE, "message": "Hello"})
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["message_id"].startswith("wamid.")
    assert data["phone"] == CLEANED
    assert data["status"] == "sent"
    assert data["message"] == "Hello"
    assert isinstance(data["chat_id"], int)
    assert isinstance(data["chat_message_id"], int)
    assert response.json()["message"] == "Message sent successfully"


def test_send_text_creates_contact(api: httpx.Client) -> None:
    contact_id = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"}).json()["data"][
        "contact_id"
    ]
    contact = api.get(f"/contacts/{contact_id}").json()["data"]
    assert contact["phone"] == CLEANED
    assert contact["type"] == "lead"


def test_plus_and_digits_same_contact(api: httpx.Client) -> None:
    first = api.post("/messages/text", json={"phone": "+966 50-000-0011", "message": "a"})
    second = api.post("/messages/text", json={"phone": "966500000011", "message": "b"})
    assert first.json()["data"]["contact_id"] == second.json()["data"]["contact_id"]
    assert api.get("/contacts").json()["meta"]["total"] == 1


def test_send_text_merge_fields(api: httpx.Client) -> None:
    contact = api.post(
        "/contacts",
        json={
            "firstname": "سارة",
            "lastname": "Haddad",
            "phone": PHONE,
            "email": "sara@example.com",
            "type": "lead",
            "source_id": 1,
            "status_id": 1,
        },
    ).json()["data"]
    text = "Hi @{contact_first_name} @{contact_last_name} <@{contact_email}> @{contact_phone}"
    response = api.post("/messages/text", json={"phone": PHONE, "message": text})
    data = response.json()["data"]
    assert data["contact_id"] == contact["id"]
    assert data["message"] == f"Hi سارة Haddad <sara@example.com> {CLEANED}"


def test_send_text_keeps_arabic_and_rtl_marks(api: httpx.Client) -> None:
    text = "\u200fمرحبا بك في متجرنا\u200f"
    sent = api.post("/messages/text", json={"phone": PHONE, "message": text}).json()["data"]
    stored = api.get(f"/messages/{sent['chat_message_id']}").json()["data"]
    assert sent["message"] == text
    assert stored["message"] == text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "Hi"}, "phone"),
        ({"phone": PHONE}, "message"),
        ({"phone": "12345", "message": "Hi"}, "phone"),
        ({"phone": "+9665000000abc", "message": "Hi"}, "phone"),
        ({"phone": PHONE, "message": "x" * 4097}, "message"),
        ({"phone": PHONE, "message": "Hi", "contact_id": "abc"}, "contact_id"),
    ],
)
def test_send_text_validation(api: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = api.post("/messages/text", json=body)
    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"
    assert field in field_errors(response)


def test_missing_phone_message_text(api: httpx.Client) -> None:
    response = api.post("/messages/text", json={"message": "Hi"})
    assert field_errors(response)["phone"] == ["Phone number is required"]


def test_send_text_unknown_contact_404(api: httpx.Client) -> None:
    response = api.post("/messages/text", json={"phone": PHONE, "message": "Hi", "contact_id": 999})
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_opted_out_contact_403(api: httpx.Client, sandbox: Any) -> None:
    contact_id = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"}).json()["data"][
        "contact_id"
    ]
    sandbox.admin.set_opt_out(contact_id)
    for path, body in [
        ("/messages/text", {"phone": PHONE, "message": "Hi"}),
        ("/messages/template", template_body()),
        (
            "/messages/interactive",
            {
                "phone": PHONE,
                "type": "button",
                "body_text": "Pick",
                "buttons": [{"id": "a", "title": "A"}],
            },
        ),
    ]:
        response = api.post(path, json=body)
        assert response.status_code == 403, path
        assert error_code(response) == "CONTACT_OPTED_OUT", path


def test_contact_limit_blocks_auto_create(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(limits={"contacts": 1})
    assert api.post("/messages/text", json={"phone": PHONE, "message": "Hi"}).status_code == 201
    response = api.post("/messages/text", json={"phone": "+966500000022", "message": "Hi"})
    details = response.json()["error"]["details"]
    assert response.status_code == 403
    assert error_code(response) == "FEATURE_LIMIT_EXCEEDED"
    assert details == {"feature": "contacts", "current": 1, "maximum": 1}


def test_conversation_limit_403(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(limits={"conversations": 1})
    assert api.post("/messages/template", json=template_body()).status_code == 201
    assert api.post("/messages/template", json=template_body()).status_code == 201
    response = api.post("/messages/template", json=template_body(phone="+966500000022"))
    assert response.status_code == 403
    assert response.json()["error"]["details"]["feature"] == "conversations"


def test_auto_creation_not_configured_422(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(auto_contact_creation=False)
    response = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"})
    assert response.status_code == 422
    assert error_code(response) == "VALIDATION_ERROR"
    assert "not configured" in response.json()["message"]


def test_whatsapp_not_configured_422(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(whatsapp_configured=False)
    for path, body in [
        ("/messages/text", {"phone": PHONE, "message": "Hi"}),
        ("/messages/template", template_body()),
    ]:
        response = api.post(path, json=body)
        assert response.status_code == 422, path
        assert error_code(response) == "WHATSAPP_NOT_CONFIGURED", path


def test_send_failed_fault_500(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(message_send_failed=1.0)
    response = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"})
    assert response.status_code == 500
    assert error_code(response) == "MESSAGE_SEND_FAILED"
    assert api.get("/messages").json()["meta"]["total"] == 0


def test_text_outside_window_recorded_failed(api: httpx.Client) -> None:
    sent = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"})
    record = api.get(f"/messages/{sent.json()['data']['chat_message_id']}").json()["data"]
    assert sent.status_code == 201
    assert record["status"] == "failed"
    assert "24 hours" in record["status_message"]


def test_text_inside_window_recorded_sent(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.add_inbound_message(PHONE, "I have a question")
    sent = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"}).json()["data"]
    record = api.get(f"/messages/{sent['chat_message_id']}").json()["data"]
    assert record["status"] == "sent"
    assert record["status_message"] is None


def test_window_closes_after_24_hours(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.add_inbound_message(PHONE)
    sandbox.admin.advance_clock(24 * 3600 + 1)
    sent = api.post("/messages/text", json={"phone": PHONE, "message": "Hi"}).json()["data"]
    assert api.get(f"/messages/{sent['chat_message_id']}").json()["data"]["status"] == "failed"


def test_template_ignores_window(api: httpx.Client) -> None:
    sent = api.post("/messages/template", json=template_body()).json()["data"]
    assert api.get(f"/messages/{sent['chat_message_id']}").json()["data"]["status"] == "sent"


def test_send_media_by_url(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.add_inbound_message(PHONE)
    body = {
        "phone": PHONE,
        "media_type": "image",
        "media_url": "https://cdn.example.com/a.png",
        "caption": "Our catalogue",
    }
    response = api.post("/messages/media", json=body)
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["media_type"] == "image"
    assert data["media_url"] == "https://cdn.example.com/a.png"
    assert data["caption"] == "Our catalogue"
    assert data["status"] == "sent"


def test_send_media_multipart_upload(api: httpx.Client, sandbox: Any) -> None:
    content = b"%PDF-1.4 invoice"
    response = api.post(
        "/messages/media",
        data={
            "phone": PHONE,
            "media_type": "document",
            "filename": "invoice.pdf",
            "contact.firstname": "Omar",
        },
        files={"media_file": ("invoice.pdf", content, "application/pdf")},
    )
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["filename"] == "invoice.pdf"
    assert httpx.get(data["media_url"]).content == content
    contact = api.get(f"/contacts/{data['contact_id']}").json()["data"]
    assert contact["firstname"] == "Omar"


def test_media_bad_extension_422(api: httpx.Client) -> None:
    response = api.post(
        "/messages/media",
        data={"phone": PHONE, "media_type": "image"},
        files={"media_file": ("notes.exe", b"MZ", "application/octet-stream")},
    )
    assert response.status_code == 422
    assert "media_file" in field_errors(response)


def test_media_too_large_422(api: httpx.Client) -> None:
    response = api.post(
        "/messages/media",
        data={"phone": PHONE, "media_type": "image"},
        files={"media_file": ("big.png", b"0" * (5 * 1024 * 1024 + 1), "image/png")},
    )
    assert response.status_code == 422
    assert "kilobytes" in field_errors(response)["media_file"][0]


def test_media_needs_url_or_file(api: httpx.Client) -> None:
    response = api.post("/messages/media", json={"phone": PHONE, "media_type": "video"})
    assert response.status_code == 422
    assert set(field_errors(response)) == {"media_url", "media_file"}


def test_media_audio_caption_422(api: httpx.Client) -> None:
    body = {
        "phone": PHONE,
        "media_type": "audio",
        "media_url": "https://cdn.example.com/a.ogg",
        "caption": "listen",
    }
    response = api.post("/messages/media", json=body)
    assert response.status_code == 422
    assert "caption" in field_errors(response)


def test_media_phone_max_15(api: httpx.Client) -> None:
    body = {
        "phone": "+9665000000112345",
        "media_type": "image",
        "media_url": "https://cdn.example.com/a.png",
    }
    response = api.post("/messages/media", json=body)
    assert response.status_code == 422
    assert "phone" in field_errors(response)


def test_template_send_ok(api: httpx.Client) -> None:
    response = api.post("/messages/template", json=template_body())
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["template_name"] == "welcome_offer"
    assert data["language"] == "en"
    assert data["status"] == "sent"
    record = api.get(f"/messages/{data['chat_message_id']}").json()["data"]
    assert record["type"] == "template"
    assert record["message"].startswith("Hi Sara, welcome")


def test_template_arabic_three_params(api: httpx.Client) -> None:
    body = template_body(
        template_name="order_confirmation",
        language="ar",
        field_1="سارة",
        field_2="A-1001",
        field_3="١٢٠ ر.س",
    )
    data = api.post("/messages/template", json=body).json()["data"]
    record = api.get(f"/messages/{data['chat_message_id']}").json()["data"]
    assert record["message"] == "مرحبا سارة، تم تأكيد طلبك A-1001. المجموع: ١٢٠ ر.س."


def test_template_merge_field_parameter(api: httpx.Client) -> None:
    api.post(
        "/contacts",
        json={
            "firstname": "Lina",
            "lastname": "K",
            "phone": PHONE,
            "type": "customer",
            "source_id": 1,
            "status_id": 2,
        },
    )
    data = api.post(
        "/messages/template", json=template_body(field_1="@{contact_first_name}")
    ).json()
    record = api.get(f"/messages/{data['data']['chat_message_id']}").json()["data"]
    assert record["message"].startswith("Hi Lina,")


def test_template_unknown_name_404(api: httpx.Client) -> None:
    response = api.post("/messages/template", json=template_body(template_name="nope"))
    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_template_wrong_language_422(api: httpx.Client) -> None:
    response = api.post("/messages/template", json=template_body(language="fr"))
    assert response.status_code == 422
    assert "language" in field_errors(response)


@pytest.mark.parametrize("name", ["holiday_promo", "flash_sale"])
def test_template_not_approved_422(api: httpx.Client, name: str) -> None:
    response = api.post("/messages/template", json=template_body(template_name=name))
    assert response.status_code == 422
    assert "APPROVED" in response.json()["message"]


def test_template_missing_parameter_422(api: httpx.Client) -> None:
    body = template_body(template_name="order_confirmation", field_2="A-1")
    response = api.post("/messages/template", json=body)
    assert response.status_code == 422
    assert set(field_errors(response)) == {"field_3"}


def test_template_extra_parameter_422(api: httpx.Client) -> None:
    response = api.post("/messages/template", json=template_body(field_2="extra"))
    assert response.status_code == 422
    assert set(field_errors(response)) == {"field_2"}


def test_template_text_header_parameter(api: httpx.Client) -> None:
    body = template_body(
        template_name="shipping_update", field_1="Sara", field_2="Aramex", button_0="A-1001"
    )
    missing = api.post("/messages/template", json=body)
    body["header_field_1"] = "A-1001"
    sent = api.post("/messages/template", json=body)
    assert missing.status_code == 422
    assert "header_field_1" in field_errors(missing)
    assert sent.status_code == 201


def test_template_dynamic_button_required(api: httpx.Client) -> None:
    body = template_body(
        template_name="shipping_update", field_1="Sara", field_2="Aramex", header_field_1="A-1"
    )
    response = api.post("/messages/template", json=body)
    assert response.status_code == 422
    assert "button_0" in field_errors(response)


def test_template_image_header_needs_media(api: httpx.Client) -> None:
    missing = api.post("/messages/template", json=template_body(template_name="spring_sale"))
    with_url = api.post(
        "/messages/template",
        json=template_body(
            template_name="spring_sale", header_image_url="https://cdn.example.com/s.jpg"
        ),
    )
    assert missing.status_code == 422
    assert "header_image_url" in field_errors(missing)
    assert with_url.status_code == 201


def test_template_image_header_upload(api: httpx.Client) -> None:
    response = api.post(
        "/messages/template",
        data={"phone": PHONE, "template_name": "spring_sale", "language": "en", "field_1": "Sara"},
        files={"header_image_file": ("sale.jpg", b"\xff\xd8jpeg", "image/jpeg")},
    )
    assert response.status_code == 201
    record = api.get(f"/messages/{response.json()['data']['chat_message_id']}").json()["data"]
    assert record["url"].endswith("/sale.jpg")


def test_template_plan_without_templates_403(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(features={"whatsapp_templates": False})
    response = api.post("/messages/template", json=template_body())
    assert response.status_code == 403
    assert error_code(response) == "FEATURE_NOT_AVAILABLE"


def test_template_auto_generate_otp(api: httpx.Client, sandbox: Any) -> None:
    body = template_body(template_name="otp_login", auto_generate_otp=True)
    del body["field_1"]
    response = api.post("/messages/template", json=body)
    code = sandbox.admin.latest_otp_code(PHONE)
    verified = api.post("/auth/verify", json={"phone": PHONE, "code": code})
    assert response.status_code == 201
    assert len(code) == 6
    assert verified.status_code == 200


def test_template_auto_otp_needs_authentication(api: httpx.Client) -> None:
    response = api.post("/messages/template", json=template_body(auto_generate_otp=True))
    assert response.status_code == 422
    assert "auto_generate_otp" in field_errors(response)


def test_interactive_buttons_ok(api: httpx.Client) -> None:
    body = {
        "phone": PHONE,
        "type": "button",
        "body_text": "Confirm your order?",
        "buttons": [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
    }
    response = api.post("/messages/interactive", json=body)
    assert response.status_code == 201
    assert response.json()["data"]["type"] == "button"


def test_interactive_list_ok(api: httpx.Client) -> None:
    body = {
        "phone": PHONE,
        "type": "list",
        "body_text": "Pick a size",
        "list_button_text": "Sizes",
        "sections": [
            {
                "title": "Shirts",
                "rows": [
                    {"id": "s", "title": "Small"},
                    {"id": "m", "title": "Medium", "description": "Fits most"},
                ],
            }
        ],
    }
    response = api.post("/messages/interactive", json=body)
    assert response.status_code == 201
    assert response.json()["data"]["type"] == "list"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"buttons": [{"id": str(n), "title": "B"} for n in range(4)]}, "buttons"),
        ({"buttons": [{"id": "a", "title": "x" * 21}]}, "buttons.0.title"),
        ({"buttons": [{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]}, "buttons.1.id"),
        ({"buttons": None}, "buttons"),
        ({"type": "carousel"}, "type"),
        ({"header_text": "h" * 61}, "header_text"),
        ({"body_text": None}, "body_text"),
    ],
)
def test_interactive_button_validation(
    api: httpx.Client, overrides: dict[str, Any], field: str
) -> None:
    body = {
        "phone": PHONE,
        "type": "button",
        "body_text": "Pick",
        "buttons": [{"id": "a", "title": "A"}],
    }
    body.update(overrides)
    response = api.post("/messages/interactive", json=body)
    assert response.status_code == 422
    assert field in field_errors(response)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"list_button_text": None}, "list_button_text"),
        ({"sections": [{"title": "S", "rows": []}]}, "sections.0.rows"),
        (
            {"sections": [{"title": "S", "rows": [{"id": "r", "title": "t" * 25}]}]},
            "sections.0.rows.0.title",
        ),
        (
            {
                "sections": [
                    {"title": "S", "rows": [{"id": "r", "title": "t", "description": "d" * 73}]}
                ]
            },
            "sections.0.rows.0.description",
        ),
        ({"sections": [{"title": "S", "rows": [{"id": "r", "title": "a"}]}] * 11}, "sections"),
    ],
)
def test_interactive_list_validation(
    api: httpx.Client, overrides: dict[str, Any], field: str
) -> None:
    body = {
        "phone": PHONE,
        "type": "list",
        "body_text": "Pick",
        "list_button_text": "Open",
        "sections": [{"title": "S", "rows": [{"id": "r", "title": "Row"}]}],
    }
    body.update(overrides)
    response = api.post("/messages/interactive", json=body)
    assert response.status_code == 422
    assert field in field_errors(response)


def test_list_messages_both_paths(api: httpx.Client) -> None:
    api.post("/messages/template", json=template_body())
    first = api.get("/messages").json()
    second = api.get("/messages/messages").json()
    assert first["data"] == second["data"]
    assert first["meta"]["total"] == 1


def test_list_messages_newest_first(api: httpx.Client) -> None:
    ids = [
        api.post("/messages/template", json=template_body()).json()["data"]["chat_message_id"]
        for _ in range(3)
    ]
    listed = [item["id"] for item in api.get("/messages").json()["data"]]
    assert listed == list(reversed(ids))


def test_list_messages_item_fields(api: httpx.Client) -> None:
    api.post("/messages/template", json=template_body())
    item = api.get("/messages").json()["data"][0]
    for name in (
        "id",
        "interaction_id",
        "sender_id",
        "type",
        "message",
        "status",
        "message_id",
        "sent_at",
        "is_read",
    ):
        assert name in item, name


def test_list_messages_filters(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.add_inbound_message(PHONE, "question")
    api.post("/messages/template", json=template_body())
    api.post("/messages/text", json={"phone": PHONE, "message": "answer"})
    inbound = api.get("/messages", params={"filter[direction]": "inbound"}).json()["data"]
    templates = api.get("/messages", params={"filter[type]": "template"}).json()["data"]
    not_text = api.get("/messages", params={"filter[type][ne]": "text"}).json()["data"]
    several = api.get("/messages", params={"filter[type][in]": "text,template"}).json()["data"]
    assert [item["message"] for item in inbound] == ["question"]
    assert len(templates) == 1
    assert [item["type"] for item in not_text] == ["template"]
    assert len(several) == 3


def test_list_messages_search_and_fields(api: httpx.Client) -> None:
    api.post("/messages/template", json=template_body(field_1="Zainab"))
    api.post("/messages/template", json=template_body(field_1="Omar"))
    found = api.get("/messages", params={"search": "zainab", "fields": "id,message"}).json()["data"]
    assert len(found) == 1
    assert set(found[0]) == {"id", "message"}


def test_get_message_detail_fields(api: httpx.Client) -> None:
    sent = api.post("/messages/template", json=template_body()).json()["data"]
    record = api.get(f"/messages/{sent['chat_message_id']}").json()["data"]
    assert record["message_id"] == sent["message_id"]
    for name in ("status_message", "ref_message_id", "url", "staff_id"):
        assert name in record, name


def test_get_message_unknown_404(api: httpx.Client) -> None:
    assert api.get("/messages/424242").status_code == 404
    assert api.get("/messages/msg_abc123").status_code == 404


def test_status_moves_forward(api: httpx.Client, sandbox: Any) -> None:
    sent = api.post("/messages/template", json=template_body()).json()["data"]
    message_id = sent["chat_message_id"]
    statuses = []
    for target in ("delivered", "read"):
        sandbox.admin.advance_message_status(target, ids=[message_id])
        statuses.append(api.get(f"/messages/{message_id}").json()["data"]["status"])
    assert statuses == ["delivered", "read"]
    assert sandbox.admin.advance_message_status("failed", ids=[message_id]) == 0
    assert api.get(f"/messages/{message_id}").json()["data"]["is_read"] is True


def test_status_moves_to_failed(api: httpx.Client, sandbox: Any) -> None:
    sent = api.post("/messages/template", json=template_body()).json()["data"]
    sandbox.admin.advance_message_status(
        "failed", ids=[sent["chat_message_id"]], reason="Number not on WhatsApp"
    )
    record = api.get(f"/messages/{sent['chat_message_id']}").json()["data"]
    assert record["status"] == "failed"
    assert record["status_message"] == "Number not on WhatsApp"
    filtered = api.get("/messages", params={"filter[status]": "failed"}).json()["meta"]["total"]
    assert filtered == 1
