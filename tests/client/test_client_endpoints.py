"""Every endpoint method: the request it sends and the model it returns."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_fakes import FAKE_TOKEN, RecordingApi, envelope, multipart_fields

from rasl_prefect.client import RaslClient
from rasl_prefect.models import (
    AccountInfo,
    BatchCreateResult,
    BatchDeleteResult,
    Contact,
    ContactCreate,
    DeleteResult,
    Group,
    GroupMembershipChange,
    Message,
    OtpSent,
    OtpStatus,
    OtpVerification,
    Page,
    PlanLimits,
    SendTextRequest,
    SentMessage,
    Template,
    TemplateSyncResult,
    UsageStatistics,
)

PHONE = "+966500000011"


@dataclass
class EndpointCase:
    """One endpoint call, the request it must send and the data the mock API returns."""

    call: Callable[[RaslClient], Any]
    method: str
    path: str
    data: Any
    result_type: type
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    check: Callable[[Any], bool] = lambda result: True


CASES: dict[str, EndpointCase] = {
    "send_text_message": EndpointCase(
        lambda c: c.send_text_message(phone=PHONE, message="مرحبا \u200fبك", contact_id=7),
        "POST",
        "/api/v2/messages/text",
        {"message_id": "wamid.A1", "status": "sent", "phone": "966500000011", "contact_id": 7},
        SentMessage,
        json={"phone": PHONE, "message": "مرحبا \u200fبك", "contact_id": 7},
        check=lambda r: r.message_id == "wamid.A1",
    ),
    "send_template_message": EndpointCase(
        lambda c: c.send_template_message(
            phone=PHONE,
            template_name="order_update",
            language="ar",
            body=["سارة", "#1042"],
            header="طلبك",
            buttons=["track/1042"],
            body_params_count=2,
        ),
        "POST",
        "/api/v2/messages/template",
        {"message_id": "wamid.T1", "template_name": "order_update"},
        SentMessage,
        json={
            "phone": PHONE,
            "template_name": "order_update",
            "language": "ar",
            "header_field_1": "طلبك",
            "field_1": "سارة",
            "field_2": "#1042",
            "button_0": "track/1042",
        },
        check=lambda r: r.template_name == "order_update",
    ),
    "send_interactive_message": EndpointCase(
        lambda c: c.send_interactive_message(
            phone=PHONE,
            type="button",
            body_text="Confirm the delivery?",
            buttons=[{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
        ),
        "POST",
        "/api/v2/messages/interactive",
        {"message_id": "wamid.I1", "type": "button"},
        SentMessage,
        json={
            "phone": PHONE,
            "type": "button",
            "body_text": "Confirm the delivery?",
            "buttons": [{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
        },
        check=lambda r: r.type == "button",
    ),
    "list_messages": EndpointCase(
        lambda c: c.list_messages(
            page=2, per_page=50, sort="-created_at", filter={"direction": "inbound"}
        ),
        "GET",
        "/api/v2/messages",
        [{"id": 1, "type": "text", "message": "hi", "is_read": False}],
        Page,
        params={
            "page": "2",
            "per_page": "50",
            "sort": "-created_at",
            "filter[direction]": "inbound",
        },
        check=lambda r: isinstance(r.items[0], Message) and r.items[0].id == 1,
    ),
    "get_message": EndpointCase(
        lambda c: c.get_message(55),
        "GET",
        "/api/v2/messages/55",
        {"id": 55, "status": "delivered", "staff_id": None},
        Message,
        check=lambda r: r.status == "delivered",
    ),
    "send_otp": EndpointCase(
        lambda c: c.send_otp(
            phone=PHONE, template_name="login_code", code="482913", expiry_minutes=5
        ),
        "POST",
        "/api/v2/auth/send-otp",
        {"code_sent": True, "expiry_minutes": 5, "expires_at": "2026-01-01T08:03:14+00:00"},
        OtpSent,
        json={"phone": PHONE, "template_name": "login_code", "code": "482913", "expiry_minutes": 5},
        check=lambda r: r.code_sent is True,
    ),
    "verify_otp": EndpointCase(
        lambda c: c.verify_otp(phone=PHONE, code="482913", purpose="login"),
        "POST",
        "/api/v2/auth/verify",
        {"phone": "966500000011", "purpose": "login", "verified_at": "2026-01-01T08:03:14+00:00"},
        OtpVerification,
        json={"phone": PHONE, "code": "482913", "purpose": "login"},
        check=lambda r: r.purpose == "login",
    ),
    "resend_otp": EndpointCase(
        lambda c: c.resend_otp(phone=PHONE, template_name="login_code", language="en"),
        "POST",
        "/api/v2/auth/resend",
        {"code_sent": True},
        OtpSent,
        json={"phone": PHONE, "template_name": "login_code", "language": "en"},
    ),
    "check_otp_status": EndpointCase(
        lambda c: c.check_otp_status(phone=PHONE),
        "POST",
        "/api/v2/auth/status",
        {"has_active_otp": True, "expires_in_seconds": -3, "attempts_remaining": 4},
        OtpStatus,
        json={"phone": PHONE},
        check=lambda r: r.expires_in_seconds == -3,
    ),
    "list_authentication_templates": EndpointCase(
        lambda c: c.list_authentication_templates(filter={"language": "en"}),
        "GET",
        "/api/v2/auth/templates",
        [{"id": 3, "template_name": "login_code", "body_params_count": 1}],
        Page,
        params={"page": "1", "per_page": "15", "filter[language]": "en"},
        check=lambda r: r.items[0].template_name == "login_code",
    ),
    "list_templates": EndpointCase(
        lambda c: c.list_templates(search="order", fields=["id", "template_name"]),
        "GET",
        "/api/v2/templates",
        [{"id": 9, "template_id": "123456", "category": "UTILITY"}],
        Page,
        params={"page": "1", "per_page": "15", "search": "order", "fields": "id,template_name"},
        check=lambda r: isinstance(r.items[0], Template),
    ),
    "get_template": EndpointCase(
        lambda c: c.get_template("1234567890"),
        "GET",
        "/api/v2/templates/1234567890",
        {"id": 9, "template_id": "1234567890", "body_params_count": 2, "buttons_data": "[]"},
        Template,
        check=lambda r: r.body_params_count == 2,
    ),
    "sync_templates": EndpointCase(
        lambda c: c.sync_templates(),
        "POST",
        "/api/v2/templates/sync",
        {"synced": 12},
        TemplateSyncResult,
        check=lambda r: r.model_extra == {"synced": 12},
    ),
    "list_contacts": EndpointCase(
        lambda c: c.list_contacts(
            include=["groups"],
            sort=["firstname", "-created_at"],
            filter={"type": "lead", "created_at": {"gte": "2026-01-01"}},
        ),
        "GET",
        "/api/v2/contacts",
        [{"id": 1, "firstname": "ليلى", "groups": [{"id": 2, "name": "VIP"}]}],
        Page,
        params={
            "page": "1",
            "per_page": "15",
            "sort": "firstname,-created_at",
            "include": "groups",
            "filter[type]": "lead",
            "filter[created_at][gte]": "2026-01-01",
        },
        check=lambda r: r.items[0].firstname == "ليلى",
    ),
    "create_contact": EndpointCase(
        lambda c: c.create_contact(
            firstname="Laila",
            lastname="Haddad",
            phone=PHONE,
            type="lead",
            source_id=1,
            status_id=2,
            email="laila@example.com",
            groups=[4],
        ),
        "POST",
        "/api/v2/contacts",
        {"id": 31, "firstname": "Laila", "is_opted_out": False},
        Contact,
        json={
            "firstname": "Laila",
            "lastname": "Haddad",
            "phone": PHONE,
            "type": "lead",
            "source_id": 1,
            "status_id": 2,
            "email": "laila@example.com",
            "groups": [4],
        },
        check=lambda r: r.id == 31,
    ),
    "get_contact": EndpointCase(
        lambda c: c.get_contact(31, include=["groups", "status"]),
        "GET",
        "/api/v2/contacts/31",
        {"id": 31, "status": {"id": 2, "name": "New", "color": "#fff"}},
        Contact,
        params={"include": "groups,status"},
        check=lambda r: r.status == {"id": 2, "name": "New", "color": "#fff"},
    ),
    "update_contact": EndpointCase(
        lambda c: c.update_contact(31, city="Riyadh", type="customer"),
        "PATCH",
        "/api/v2/contacts/31",
        {"id": 31, "city": "Riyadh", "type": "customer"},
        Contact,
        json={"city": "Riyadh", "type": "customer"},
        check=lambda r: r.city == "Riyadh",
    ),
    "delete_contact": EndpointCase(
        lambda c: c.delete_contact(31),
        "DELETE",
        "/api/v2/contacts/31",
        None,
        DeleteResult,
        check=lambda r: r.id == 31,
    ),
    "batch_create_contacts": EndpointCase(
        lambda c: c.batch_create_contacts(
            [
                ContactCreate(
                    firstname="A", lastname="B", phone=PHONE, type="guest", source_id=1, status_id=1
                ),
                {
                    "firstname": "C",
                    "lastname": "D",
                    "phone": "+966500000012",
                    "type": "lead",
                    "source_id": 1,
                    "status_id": 1,
                },
            ],
            skip_duplicates=True,
        ),
        "POST",
        "/api/v2/contacts/batch",
        {
            "success": True,
            "summary": {"total": 2, "created": 1, "skipped": 1, "failed": 0},
            "created": [{"id": 40}],
            "skipped": [{"index": 1, "reason": "duplicate phone", "data": {}}],
            "errors": [],
        },
        BatchCreateResult,
        json={
            "contacts": [
                {
                    "firstname": "A",
                    "lastname": "B",
                    "phone": PHONE,
                    "type": "guest",
                    "source_id": 1,
                    "status_id": 1,
                },
                {
                    "firstname": "C",
                    "lastname": "D",
                    "phone": "+966500000012",
                    "type": "lead",
                    "source_id": 1,
                    "status_id": 1,
                },
            ],
            "options": {"skip_duplicates": True},
        },
        check=lambda r: r.summary.skipped == 1 and r.skipped[0].index == 1,
    ),
    "batch_delete_contacts": EndpointCase(
        lambda c: c.batch_delete_contacts([1, 2, 999]),
        "DELETE",
        "/api/v2/contacts/batch",
        {"success": True, "summary": {"total": 3, "deleted": 2, "failed": 1}},
        BatchDeleteResult,
        json={"ids": [1, 2, 999]},
        check=lambda r: r.summary.failed == 1,
    ),
    "list_groups": EndpointCase(
        lambda c: c.list_groups(sort="name", search="vip"),
        "GET",
        "/api/v2/groups",
        [{"id": 2, "name": "VIP"}],
        Page,
        params={"page": "1", "per_page": "15", "sort": "name", "search": "vip"},
        check=lambda r: r.items[0].name == "VIP",
    ),
    "create_group": EndpointCase(
        lambda c: c.create_group("عملاء مميزون"),
        "POST",
        "/api/v2/groups",
        {"id": 5, "name": "عملاء مميزون"},
        Group,
        json={"name": "عملاء مميزون"},
        check=lambda r: r.name == "عملاء مميزون",
    ),
    "get_group": EndpointCase(
        lambda c: c.get_group(5), "GET", "/api/v2/groups/5", {"id": 5, "name": "VIP"}, Group
    ),
    "update_group": EndpointCase(
        lambda c: c.update_group(5, "Gold"),
        "PATCH",
        "/api/v2/groups/5",
        {"id": 5, "name": "Gold"},
        Group,
        json={"name": "Gold"},
        check=lambda r: r.name == "Gold",
    ),
    "delete_group": EndpointCase(
        lambda c: c.delete_group(5),
        "DELETE",
        "/api/v2/groups/5",
        None,
        DeleteResult,
        check=lambda r: r.id == 5,
    ),
    "add_contacts_to_group": EndpointCase(
        lambda c: c.add_contacts_to_group(5, [1, 2]),
        "POST",
        "/api/v2/groups/5/contacts",
        {"group_id": 5, "contacts_added": 2},
        GroupMembershipChange,
        json={"contact_ids": [1, 2]},
        check=lambda r: r.contacts_added == 2,
    ),
    "remove_contacts_from_group": EndpointCase(
        lambda c: c.remove_contacts_from_group(5, [1]),
        "DELETE",
        "/api/v2/groups/5/contacts",
        {"group_id": 5, "contacts_removed": 1},
        GroupMembershipChange,
        json={"contact_ids": [1]},
        check=lambda r: r.contacts_removed == 1,
    ),
    "get_account_info": EndpointCase(
        lambda c: c.get_account_info(),
        "GET",
        "/api/v2/account",
        {"id": 1, "name": "Acme", "subdomain": "acme", "status": "active"},
        AccountInfo,
        check=lambda r: r.subdomain == "acme",
    ),
    "get_usage_statistics": EndpointCase(
        lambda c: c.get_usage_statistics(),
        "GET",
        "/api/v2/account/usage",
        {
            "contacts": {"current": 10, "limit": -1, "is_unlimited": True},
            "staff": {"current": 2, "limit": 5, "remaining": 3, "percentage_used": 40.0},
        },
        UsageStatistics,
        check=lambda r: r.staff is not None and r.staff.remaining == 3,
    ),
    "get_plan_limits": EndpointCase(
        lambda c: c.get_plan_limits(),
        "GET",
        "/api/v2/account/limits",
        {
            "limits": {"api_calls_per_minute": {"limit": 120, "feature_name": "API calls"}},
            "features": {"bulk_messaging": True},
        },
        PlanLimits,
        check=lambda r: r.api_calls_per_minute == 120,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_endpoint_request_and_result(name: str, client: RaslClient, api: RecordingApi) -> None:
    case = CASES[name]
    api.queue(httpx.Response(200, json=envelope(case.data, request_id=f"req-{name}")))

    result = case.call(client)

    request = api.last
    assert request.method == case.method
    assert request.url.path == case.path
    assert dict(request.url.params) == case.params
    if case.json is None:
        assert request.content == b""
    else:
        assert json.loads(request.content) == case.json
        assert request.headers["content-type"] == "application/json"
    assert isinstance(result, case.result_type)
    assert result.request_id == f"req-{name}"
    assert case.check(result)


def test_every_endpoint_has_a_case() -> None:
    public = {
        name
        for name in dir(RaslClient)
        if not name.startswith(("_", "iter_", "from_"))
        and callable(getattr(RaslClient, name))
        and name != "close"
    }

    assert public - set(CASES) == {"send_media_message"}


def test_bearer_header_carries_token(client: RaslClient, api: RecordingApi) -> None:
    client.get_account_info()

    assert api.last.headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert "x-api-key" not in api.last.headers


def test_api_key_header_carries_token(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(auth_header="x-api-key")

    client.get_account_info()

    assert api.last.headers["x-api-key"] == FAKE_TOKEN
    assert "authorization" not in api.last.headers


def test_request_model_instead_of_keywords(client: RaslClient, api: RecordingApi) -> None:
    request = SendTextRequest(phone=PHONE, message="hello")

    client.send_text_message(request)

    assert api.last_json() == {"phone": PHONE, "message": "hello"}


def test_envelope_message_kept(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(201, json=envelope({"id": 5}, message="Group created successfully")))

    group = client.create_group("VIP")

    assert group.api_message == "Group created successfully"


def test_unknown_response_fields_kept(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(200, json=envelope({"id": 5, "contacts_count": 12})))

    group = client.get_group(5)

    assert group.model_extra == {"contacts_count": 12}


def test_body_without_envelope_parsed(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(200, json={"id": 5, "name": "VIP"}))

    group = client.get_group(5)

    assert group.name == "VIP"


def test_request_id_header_fallback(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(200, json={"data": {"id": 5}}, headers={"X-Request-Id": "hdr-9"}))

    group = client.get_group(5)

    assert group.request_id == "hdr-9"


def test_media_url_sent_as_multipart(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(200, json=envelope({"message_id": "wamid.M1", "media_type": "image"})))

    result = client.send_media_message(
        phone=PHONE,
        media_type="image",
        media_url="https://cdn.example.com/menu.png",
        caption="القائمة",
    )

    assert api.last.url.path == "/api/v2/messages/media"
    assert api.last.headers["content-type"].startswith("multipart/form-data")
    assert multipart_fields(api.last) == {
        "phone": PHONE,
        "media_type": "image",
        "media_url": "https://cdn.example.com/menu.png",
        "caption": "القائمة",
    }
    assert result.message_id == "wamid.M1"


def test_media_file_uploaded(client: RaslClient, api: RecordingApi, tmp_path: Path) -> None:
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"%PDF-1.4 test")

    client.send_media_message(
        phone=PHONE, media_type="document", media_file=invoice, filename="Invoice 1042.pdf"
    )

    fields = multipart_fields(api.last)
    assert fields["media_file"] == "<file invoice.pdf>"
    assert fields["filename"] == "Invoice 1042.pdf"
    assert b"%PDF-1.4 test" in api.last.content


def test_template_header_file_multipart(
    client: RaslClient, api: RecordingApi, tmp_path: Path
) -> None:
    banner = tmp_path / "banner.jpg"
    banner.write_bytes(b"\xff\xd8\xff jpeg")

    client.send_template_message(
        phone=PHONE,
        template_name="promo",
        language="en",
        parameters={"field_1": "Sara"},
        header_image_file=banner,
    )

    fields = multipart_fields(api.last)
    assert fields["header_image_file"] == "<file banner.jpg>"
    assert fields["field_1"] == "Sara"
    assert fields["template_name"] == "promo"


def test_template_parameters_mapping(client: RaslClient, api: RecordingApi) -> None:
    client.send_template_message(
        phone=PHONE,
        template_name="otp",
        language="en",
        parameters={"field_1": "A", "button_0": "x"},
        auto_generate_otp=True,
        otp_field_number=1,
    )

    assert api.last_json() == {
        "phone": PHONE,
        "template_name": "otp",
        "language": "en",
        "field_1": "A",
        "button_0": "x",
        "auto_generate_otp": True,
        "otp_field_number": 1,
    }


def test_interactive_list_body(client: RaslClient, api: RecordingApi) -> None:
    client.send_interactive_message(
        phone=PHONE,
        type="list",
        body_text="Choose a slot",
        list_button_text="Slots",
        sections=[
            {
                "title": "Morning",
                "rows": [{"id": "m9", "title": "09:00", "description": "Nine o'clock"}],
            }
        ],
        footer_text="Reply any time",
    )

    assert api.last_json()["sections"] == [
        {
            "title": "Morning",
            "rows": [{"id": "m9", "title": "09:00", "description": "Nine o'clock"}],
        }
    ]
    assert api.last_json()["list_button_text"] == "Slots"


def test_request_model_as_keyword(client: RaslClient, api: RecordingApi) -> None:
    client.send_text_message(request=SendTextRequest(phone=PHONE, message="hello"))

    assert api.last_json() == {"phone": PHONE, "message": "hello"}


def test_update_contact_id_keyword(client: RaslClient, api: RecordingApi) -> None:
    client.update_contact(contact_id=8, firstname="Omar")

    assert api.last.url.path == "/api/v2/contacts/8"
    assert api.last_json() == {"firstname": "Omar"}
