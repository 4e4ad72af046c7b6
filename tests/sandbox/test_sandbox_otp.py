"""Send, verify, resend and check OTPs; list AUTHENTICATION templates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PHONE = "+966500000011"
CLEANED = "966500000011"


def send_otp(api: httpx.Client, code: str = "482913", **overrides: Any) -> httpx.Response:
    body = {"phone": PHONE, "template_name": "otp_login", "code": code}
    body.update(overrides)
    return api.post("/auth/send-otp", json=body)


def verify(api: httpx.Client, code: str, **overrides: Any) -> httpx.Response:
    body = {"phone": PHONE, "code": code}
    body.update(overrides)
    return api.post("/auth/verify", json=body)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def test_send_otp_response(api: httpx.Client) -> None:
    response = send_otp(api)
    data = response.json()["data"]
    assert response.status_code == 201
    assert data["code_sent"] is True
    assert data["phone"] == CLEANED
    assert data["template_name"] == "otp_login"
    assert data["language"] == "en"
    assert data["expiry_minutes"] == 10
    assert data["status"] == "sent"
    assert data["message_id"].startswith("wamid.")


def test_send_otp_code_reaches_admin(api: httpx.Client, sandbox: Any) -> None:
    send_otp(api, code="7391")
    assert sandbox.admin.latest_otp_code(PHONE) == "7391"


def test_send_otp_message_has_code(api: httpx.Client) -> None:
    send_otp(api, code="551177")
    item = api.get("/messages").json()["data"][0]
    assert item["type"] == "template"
    assert item["message"].startswith("551177 is your verification code")


def test_send_otp_requires_code(api: httpx.Client) -> None:
    response = api.post("/auth/send-otp", json={"phone": PHONE, "template_name": "otp_login"})
    assert response.status_code == 422
    assert "code" in response.json()["error"]["details"]["errors"]


def test_send_otp_expiry_bounds(api: httpx.Client) -> None:
    assert send_otp(api, expiry_minutes=0).status_code == 422
    assert send_otp(api, expiry_minutes=61).status_code == 422
    assert send_otp(api, expiry_minutes=60).status_code == 201


def test_send_otp_needs_authentication_template(api: httpx.Client) -> None:
    response = send_otp(api, template_name="welcome_offer")
    assert response.status_code == 422
    assert "AUTHENTICATION" in response.json()["message"]


def test_send_otp_unknown_template_404(api: httpx.Client) -> None:
    assert send_otp(api, template_name="nope").status_code == 404


def test_send_otp_plan_without_templates(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(features={"whatsapp_templates": False})
    response = send_otp(api)
    assert response.status_code == 403
    assert error_code(response) == "FEATURE_NOT_AVAILABLE"


def test_send_otp_opted_out_403(api: httpx.Client, sandbox: Any) -> None:
    contact_id = send_otp(api).json()["data"]["contact_id"]
    sandbox.admin.set_opt_out(contact_id)
    response = send_otp(api)
    assert response.status_code == 403
    assert error_code(response) == "CONTACT_OPTED_OUT"


def test_verify_correct_code(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    response = verify(api, "482913")
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["phone"] == CLEANED
    assert data["purpose"] == "authentication"
    assert data["verified_at"]


def test_verify_uses_code_up(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    verify(api, "482913")
    response = verify(api, "482913")
    assert response.status_code == 422
    assert error_code(response) == "OTP_NOT_FOUND"


def test_verify_without_otp(api: httpx.Client) -> None:
    response = verify(api, "123456")
    assert response.status_code == 422
    assert error_code(response) == "OTP_NOT_FOUND"


def test_verify_wrong_code_counts_down(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    remaining = []
    for _ in range(5):
        response = verify(api, "000000")
        assert error_code(response) == "INVALID_CODE"
        remaining.append(response.json()["error"]["details"]["attempts_remaining"])
    assert remaining == [4, 3, 2, 1, 0]


def test_verify_after_max_attempts(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    for _ in range(5):
        verify(api, "000000")
    response = verify(api, "482913")
    assert response.status_code == 422
    assert error_code(response) == "MAX_ATTEMPTS_EXCEEDED"


def test_verify_expired(api: httpx.Client, sandbox: Any) -> None:
    send_otp(api, code="482913", expiry_minutes=1)
    sandbox.admin.advance_clock(61)
    response = verify(api, "482913")
    assert response.status_code == 422
    assert error_code(response) == "OTP_EXPIRED"


def test_verify_purpose_must_match(api: httpx.Client) -> None:
    send_otp(api, code="482913", purpose="password_reset")
    assert error_code(verify(api, "482913")) == "OTP_NOT_FOUND"
    assert verify(api, "482913", purpose="password_reset").status_code == 200


def test_verify_limit_ten_per_minute(api: httpx.Client, sandbox: Any) -> None:
    statuses = [verify(api, "000000").status_code for _ in range(10)]
    limited = verify(api, "000000")
    assert statuses == [422] * 10
    assert limited.status_code == 429
    assert error_code(limited) == "RATE_LIMIT_EXCEEDED"
    assert 1 <= limited.json()["error"]["details"]["retry_after"] <= 60
    sandbox.admin.advance_clock(60)
    assert verify(api, "000000").status_code == 422


def test_verify_success_clears_limiter(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    for _ in range(4):
        verify(api, "000000")
    assert verify(api, "482913").status_code == 200
    send_otp(api, code="111111")
    statuses = [verify(api, "111112").status_code for _ in range(5)]
    assert 429 not in statuses


def test_verify_requires_code_message(api: httpx.Client) -> None:
    response = api.post("/auth/verify", json={"phone": PHONE})
    assert response.json()["error"]["details"]["errors"]["code"] == [
        "Verification code is required"
    ]


def test_one_active_otp_per_phone(api: httpx.Client) -> None:
    send_otp(api, code="111111")
    send_otp(api, code="222222")
    assert error_code(verify(api, "111111")) == "INVALID_CODE"
    assert verify(api, "222222").status_code == 200


def test_resend_new_six_digit_code(api: httpx.Client, sandbox: Any) -> None:
    send_otp(api, code="4829")
    response = api.post("/auth/resend", json={"phone": PHONE, "template_name": "otp_login"})
    code = sandbox.admin.latest_otp_code(PHONE)
    assert response.status_code == 201
    assert response.json()["data"]["code_sent"] is True
    assert len(code) == 6
    assert code.isdigit()
    assert error_code(verify(api, "4829")) in ("INVALID_CODE", "OTP_NOT_FOUND")


def test_resend_code_verifies(api: httpx.Client, sandbox: Any) -> None:
    api.post("/auth/resend", json={"phone": PHONE, "template_name": "otp_login"})
    assert verify(api, sandbox.admin.latest_otp_code(PHONE)).status_code == 200


def test_resend_limit_three_per_five_minutes(api: httpx.Client, sandbox: Any) -> None:
    body = {"phone": PHONE, "template_name": "otp_login"}
    statuses = [api.post("/auth/resend", json=body).status_code for _ in range(3)]
    limited = api.post("/auth/resend", json=body)
    assert statuses == [201, 201, 201]
    assert limited.status_code == 429
    assert 1 <= limited.json()["error"]["details"]["retry_after"] <= 300
    assert limited.headers["Retry-After"] == str(limited.json()["error"]["details"]["retry_after"])
    sandbox.admin.advance_clock(300)
    assert api.post("/auth/resend", json=body).status_code == 201


def test_status_without_otp(api: httpx.Client) -> None:
    response = api.post("/auth/status", json={"phone": PHONE})
    body = response.json()
    assert response.status_code == 200
    assert body["data"]["has_active_otp"] is False
    assert body["message"] == "No active OTP found"


def test_status_with_otp(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    verify(api, "000000")
    data = api.post("/auth/status", json={"phone": PHONE}).json()["data"]
    assert data["has_active_otp"] is True
    assert data["is_expired"] is False
    assert 590 <= data["expires_in_seconds"] <= 600
    assert data["verification_attempts"] == 1
    assert data["max_attempts"] == 5
    assert data["attempts_remaining"] == 4


def test_status_does_not_use_code(api: httpx.Client) -> None:
    send_otp(api, code="482913")
    for _ in range(3):
        api.post("/auth/status", json={"phone": PHONE})
    assert verify(api, "482913").status_code == 200


def test_status_negative_after_expiry(api: httpx.Client, sandbox: Any) -> None:
    send_otp(api, code="482913", expiry_minutes=1)
    sandbox.admin.advance_clock(120)
    data = api.post("/auth/status", json={"phone": PHONE}).json()["data"]
    assert data["is_expired"] is True
    assert data["expires_in_seconds"] < 0


def test_auth_templates_only_approved_authentication(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.add_template(
        template_name="otp_pending",
        language="en",
        category="AUTHENTICATION",
        status="PENDING",
        body="{{1}} is your code.",
    )
    items = api.get("/auth/templates").json()["data"]
    assert [item["template_name"] for item in items] == ["otp_login"]
    assert items[0]["status"] == "APPROVED"
    assert items[0]["body_params_count"] == 1
    assert items[0]["header_format"] == "NONE"


@pytest.mark.parametrize(
    "params", [{"filter[language]": "en"}, {"search": "otp"}, {"q": "verification"}]
)
def test_auth_templates_query(api: httpx.Client, params: dict[str, str]) -> None:
    assert api.get("/auth/templates", params=params).json()["meta"]["total"] == 1


def test_auth_templates_bad_sort(api: httpx.Client) -> None:
    assert api.get("/auth/templates", params={"sort": "category"}).status_code == 422
