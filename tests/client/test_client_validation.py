"""Request models reject values that break the documented limits before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from client_fakes import RecordingApi

from rasl_prefect.client import RaslClient, build_template_parameters
from rasl_prefect.exceptions import RaslValidationError
from rasl_prefect.models import SendTextRequest

PHONE = "+966500000011"


def rejected(call: Callable[[], Any]) -> RaslValidationError:
    with pytest.raises(RaslValidationError) as caught:
        call()
    return caught.value


def test_text_too_long(client: RaslClient, api: RecordingApi) -> None:
    error = rejected(lambda: client.send_text_message(phone=PHONE, message="x" * 4097))

    assert list(error.field_errors) == ["message"]
    assert "4096" in error.field_errors["message"][0]
    assert api.requests == []


@pytest.mark.parametrize("phone", ["+96650", "+9665000000112233445566", "+966-abc-0000011"])
def test_text_phone_rejected(client: RaslClient, phone: str) -> None:
    error = rejected(lambda: client.send_text_message(phone=phone, message="hi"))

    assert list(error.field_errors) == ["phone"]


def test_phone_not_echoed(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_text_message(phone="+96650000001234567890123", message="x")
    )

    assert "96650000001234567890123" not in str(error)


def test_missing_field_named(client: RaslClient) -> None:
    error = rejected(lambda: client.send_text_message(phone=PHONE))

    assert error.field_errors == {"message": ["Field required"]}


def test_media_phone_max_15(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_media_message(
            phone="+966500000011223", media_type="image", media_url="https://x.test/a.png"
        )
    )

    assert "15" in error.field_errors["phone"][0]


def test_caption_rejected_for_audio(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_media_message(
            phone=PHONE, media_type="audio", media_url="https://x.test/a.mp3", caption="hello"
        )
    )

    assert "caption" in str(error)


def test_caption_too_long(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_media_message(
            phone=PHONE, media_type="image", media_url="https://x.test/a.png", caption="c" * 1025
        )
    )

    assert "1024" in error.field_errors["caption"][0]


def test_media_extension_checked(client: RaslClient, tmp_path: Path) -> None:
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"movie")

    error = rejected(
        lambda: client.send_media_message(phone=PHONE, media_type="video", media_file=clip)
    )

    assert "mp4" in str(error)
    assert "'mov'" in str(error)


def test_media_size_checked(client: RaslClient, tmp_path: Path) -> None:
    photo = tmp_path / "big.png"
    with photo.open("wb") as handle:
        handle.truncate(5 * 1024 * 1024 + 1)

    error = rejected(
        lambda: client.send_media_message(phone=PHONE, media_type="image", media_file=photo)
    )

    assert "5 MB" in str(error)


def test_media_url_extension_checked(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_media_message(
            phone=PHONE, media_type="document", media_url="https://x.test/file.exe?v=1"
        )
    )

    assert "'exe'" in str(error)


def test_media_needs_one_source(client: RaslClient) -> None:
    error = rejected(lambda: client.send_media_message(phone=PHONE, media_type="image"))

    assert "media_url" in str(error)


def test_four_buttons_rejected(client: RaslClient) -> None:
    buttons = [{"id": str(number), "title": f"B{number}"} for number in range(4)]

    error = rejected(
        lambda: client.send_interactive_message(
            phone=PHONE, type="button", body_text="Pick", buttons=buttons
        )
    )

    assert "buttons" in error.field_errors
    assert "3" in error.field_errors["buttons"][0]


def test_button_title_too_long(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_interactive_message(
            phone=PHONE, type="button", body_text="Pick", buttons=[{"id": "a", "title": "t" * 21}]
        )
    )

    assert list(error.field_errors) == ["buttons.0.title"]


def test_duplicate_button_ids(client: RaslClient) -> None:
    buttons = [{"id": "same", "title": "One"}, {"id": "same", "title": "Two"}]

    error = rejected(
        lambda: client.send_interactive_message(
            phone=PHONE, type="button", body_text="Pick", buttons=buttons
        )
    )

    assert "same" in str(error)


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"list_button_text": "l" * 21}, "list_button_text", "20"),
        ({"body_text": "b" * 1025}, "body_text", "1024"),
        ({"header_text": "h" * 61}, "header_text", "60"),
        ({"footer_text": "f" * 61}, "footer_text", "60"),
        ({"row_title": "r" * 25}, "sections.0.rows.0.title", "24"),
        ({"row_description": "d" * 73}, "sections.0.rows.0.description", "72"),
        ({"section_count": 11}, "sections", "10"),
    ],
)
def test_list_limits(client: RaslClient, change: dict[str, Any], field: str, limit: str) -> None:
    row = {
        "id": "r1",
        "title": change.pop("row_title", "Row"),
        "description": change.pop("row_description", "About"),
    }
    count = change.pop("section_count", 1)
    sections = [
        {"title": f"S{number}", "rows": [dict(row, id=f"r{number}")]} for number in range(count)
    ]
    arguments: dict[str, Any] = {
        "phone": PHONE,
        "type": "list",
        "body_text": "Pick",
        "list_button_text": "Open",
        "sections": sections,
    }
    arguments.update(change)

    error = rejected(lambda: client.send_interactive_message(**arguments))

    assert field in error.field_errors
    assert limit in error.field_errors[field][0]


def test_template_language_too_long(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_template_message(
            phone=PHONE, template_name="t", language="en_GB_longer"
        )
    )

    assert error.field_errors == {"language": ["String should have at most 10 characters"]}


def test_template_unknown_parameter(client: RaslClient) -> None:
    error = rejected(
        lambda: client.send_template_message(
            phone=PHONE, template_name="t", language="en", parameters={"field_11": "x"}
        )
    )

    assert "field_11" in error.field_errors


def test_template_count_mismatch() -> None:
    error = rejected(lambda: build_template_parameters(body=["only one"], body_params_count=2))

    assert "missing values for 2" in error.field_errors["body"][0]


def test_template_button_index_checked() -> None:
    error = rejected(lambda: build_template_parameters(buttons={3: "x"}))

    assert "0 to 2" in error.field_errors["buttons"][0]


def test_template_body_mapping() -> None:
    parameters = build_template_parameters(body={2: "b", 1: "a"}, body_params_count=2)

    assert parameters == {"field_2": "b", "field_1": "a"}


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"expiry_minutes": 0}, "expiry_minutes"),
        ({"expiry_minutes": 61}, "expiry_minutes"),
        ({"purpose": "p" * 51}, "purpose"),
        ({"language": "l" * 11}, "language"),
    ],
)
def test_otp_limits(client: RaslClient, arguments: dict[str, Any], field: str) -> None:
    error = rejected(
        lambda: client.send_otp(phone=PHONE, template_name="login", code="123456", **arguments)
    )

    assert list(error.field_errors) == [field]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"type": "vip"}, "type"),
        ({"email": "not-an-email"}, "email"),
        ({"zip": "z" * 21}, "zip"),
        ({"address": "a" * 501}, "address"),
        ({"firstname": "f" * 256}, "firstname"),
        ({"phone": "+9" * 11}, "phone"),
    ],
)
def test_contact_limits(client: RaslClient, arguments: dict[str, Any], field: str) -> None:
    values: dict[str, Any] = {
        "firstname": "Laila",
        "lastname": "Haddad",
        "phone": PHONE,
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }
    values.update(arguments)

    error = rejected(lambda: client.create_contact(**values))

    assert list(error.field_errors) == [field]


def test_batch_item_error_located(client: RaslClient) -> None:
    good = {
        "firstname": "A",
        "lastname": "B",
        "phone": PHONE,
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }

    error = rejected(lambda: client.batch_create_contacts([good, dict(good, type="vip")]))

    assert list(error.field_errors) == ["contacts.1.type"]


def test_update_needs_a_field(client: RaslClient) -> None:
    error = rejected(lambda: client.update_contact(3))

    assert "at least one field" in str(error)


def test_empty_group_members_rejected(client: RaslClient) -> None:
    error = rejected(lambda: client.add_contacts_to_group(3, []))

    assert list(error.field_errors) == ["contact_ids"]


def test_model_and_keywords_conflict(client: RaslClient) -> None:
    request = SendTextRequest(phone=PHONE, message="hi")

    error = rejected(lambda: client.send_text_message(request, message="other"))

    assert list(error.field_errors) == ["message"]


def test_path_id_checked(client: RaslClient, api: RecordingApi) -> None:
    error = rejected(lambda: client.get_template("../account"))

    assert "template_id" in error.field_errors
    assert api.requests == []


def test_validation_error_hides_request_values() -> None:
    from rasl_prefect.exceptions import RaslValidationError
    from rasl_prefect.models.messages import SendTemplateRequest

    try:
        SendTemplateRequest.build(phone="+966500000888", template_name="welcome_offer")
    except RaslValidationError as error:
        caught = error

    assert "language" in caught.field_errors
    assert "500000888" not in str(caught)
    assert caught.__cause__ is None
    assert caught.__suppress_context__ is True
