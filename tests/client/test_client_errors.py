"""Error responses in every plausible body layout become the right `RaslError`."""

from __future__ import annotations

import httpx
import pytest
from client_fakes import RecordingApi

from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import (
    RaslAuthenticationError,
    RaslContactOptedOutError,
    RaslError,
    RaslNotFoundError,
    RaslOtpInvalidCodeError,
    RaslOtpMaxAttemptsError,
    RaslPlanLimitError,
    RaslScopeError,
    RaslSendFailedError,
    RaslServerError,
    RaslValidationError,
)

PHONE = "+966500000011"


def fail_with(api: RecordingApi, response: httpx.Response) -> None:
    api.queue(response)


def test_nested_error_object(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            403,
            json={
                "success": False,
                "error": {
                    "code": "FEATURE_LIMIT_EXCEEDED",
                    "message": "Contact limit reached",
                    "details": {"feature": "contacts", "current": 500, "maximum": 500},
                },
                "meta": {"request_id": "req-limit"},
            },
        )
    )

    with pytest.raises(RaslPlanLimitError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert caught.value.status_code == 403
    assert caught.value.code == "FEATURE_LIMIT_EXCEEDED"
    assert caught.value.message == "Contact limit reached"
    assert caught.value.request_id == "req-limit"
    assert caught.value.details == {"feature": "contacts", "current": 500, "maximum": 500}
    assert caught.value.retryable is False


def test_top_level_code_and_message(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(403, json={"code": "CONTACT_OPTED_OUT", "message": "Contact opted out"})
    )

    with pytest.raises(RaslContactOptedOutError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert caught.value.message == "Contact opted out"


def test_error_as_code_string(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(403, json={"success": False, "error": "INSUFFICIENT_SCOPE"}))

    with pytest.raises(RaslScopeError) as caught:
        client.get_account_info()

    assert caught.value.code == "INSUFFICIENT_SCOPE"


def test_error_as_sentence_string(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(401, json={"error": "Invalid API token"}))

    with pytest.raises(RaslAuthenticationError) as caught:
        client.get_account_info()

    assert caught.value.message == "Invalid API token"
    assert caught.value.code is None


def test_laravel_field_errors(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            422,
            json={
                "message": "The phone field is required.",
                "errors": {"phone": ["Phone number is required"], "email": "Email is taken"},
            },
        )
    )

    with pytest.raises(RaslValidationError) as caught:
        client.create_group("VIP")

    assert caught.value.field_errors == {
        "phone": ["Phone number is required"],
        "email": ["Email is taken"],
    }
    assert caught.value.message == "The phone field is required."


def test_field_errors_in_details(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            422,
            json={
                "success": False,
                "error": {
                    "code": "VALIDATION_ERROR",
                    "message": "Validation failed",
                    "details": {"name": ["A group with this name already exists"]},
                },
            },
        )
    )

    with pytest.raises(RaslValidationError) as caught:
        client.create_group("VIP")

    assert caught.value.field_errors == {"name": ["A group with this name already exists"]}


def test_otp_attempts_remaining_anywhere(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            422,
            json={
                "success": False,
                "error": {"code": "INVALID_CODE", "message": "Invalid code"},
                "data": {"attempts_remaining": 2},
            },
        )
    )

    with pytest.raises(RaslOtpInvalidCodeError) as caught:
        client.verify_otp(phone=PHONE, code="000000")

    assert caught.value.attempts_remaining == 2


def test_otp_retry_after_in_details(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            422,
            json={
                "code": "MAX_ATTEMPTS_EXCEEDED",
                "message": "Too many attempts",
                "details": {"retry_after": "45"},
            },
        )
    )

    with pytest.raises(RaslOtpMaxAttemptsError) as caught:
        client.verify_otp(phone=PHONE, code="000000")

    assert caught.value.retry_after == 45


def test_plain_text_body(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(404, text="Not Found", headers={"content-type": "text/plain"}))

    with pytest.raises(RaslNotFoundError) as caught:
        client.get_group(77)

    assert caught.value.message == "Not Found"


def test_html_page_not_in_message(client: RaslClient, api: RecordingApi) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    api.queue(httpx.Response(502, text=page, headers={"content-type": "text/html"}))

    with pytest.raises(RaslServerError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert "<html" not in str(caught.value)
    assert "nginx" not in str(caught.value)
    assert "HTTP 502" in str(caught.value)
    assert "HTML page" in caught.value.message


def test_empty_body(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(403))

    with pytest.raises(RaslScopeError) as caught:
        client.get_account_info()

    assert "empty body" in caught.value.message


def test_send_failed_code(client: RaslClient, api: RecordingApi) -> None:
    api.queue(
        httpx.Response(
            500, json={"error": {"code": "MESSAGE_SEND_FAILED", "message": "Cloud API error"}}
        )
    )

    with pytest.raises(RaslSendFailedError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert caught.value.retryable is False


def test_unknown_status_falls_back(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(409, json={"message": "Conflict"}))

    with pytest.raises(RaslError) as caught:
        client.create_group("VIP")

    assert type(caught.value) is RaslError
    assert caught.value.status_code == 409


def test_unknown_code_uses_status(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(404, json={"error": {"code": "TENANT_GONE", "message": "Gone"}}))

    with pytest.raises(RaslNotFoundError) as caught:
        client.get_account_info()

    assert caught.value.code == "TENANT_GONE"


def test_malformed_success_body_kept(
    client: RaslClient, api: RecordingApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.queue(
        httpx.Response(200, json={"data": {"message_id": "wamid.9", "chat_id": "not-a-number"}})
    )

    with caplog.at_level("WARNING", logger="rasl_prefect"):
        sent = client.send_text_message(phone=PHONE, message="hi")

    assert sent.message_id == "wamid.9"
    assert sent.chat_id == "not-a-number"
    assert any("kept unvalidated" in record.getMessage() for record in caplog.records)


def test_numeric_message_id_coerced(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(200, json={"data": {"message_id": 12345}}))

    sent = client.send_text_message(phone=PHONE, message="hi")

    assert sent.message_id == "12345"
