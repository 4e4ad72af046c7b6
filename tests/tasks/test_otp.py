"""OTP tasks against the sandbox over real HTTP, checked through the sandbox's record of codes."""

from __future__ import annotations

from typing import Any

import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslOtpInvalidCodeError, RaslOtpNotFoundError
from rasl_prefect.models import AuthenticationTemplate, OtpSent, OtpStatus, OtpVerification, Page
from rasl_prefect.tasks import (
    check_otp_status,
    list_authentication_templates,
    resend_otp,
    send_otp,
    verify_otp,
)
from rasl_prefect.tasks.listing import ItemList

PHONE = "+966500000011"
CODE = "482913"


def test_send_otp_delivers_code(sandbox: Any, credentials: RaslCredentials) -> None:
    sent = send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)

    assert isinstance(sent, OtpSent)
    assert sent.code_sent is True
    assert sent.expires_at is not None
    assert sandbox.admin.latest_otp_code(PHONE) == CODE


def test_send_otp_result_hides_code(credentials: RaslCredentials) -> None:
    sent = send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)

    assert CODE not in sent.model_dump_json()


def test_verify_otp_accepts_code(credentials: RaslCredentials) -> None:
    send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE, purpose="login")

    verification = verify_otp.fn(credentials, phone=PHONE, code=CODE, purpose="login")

    assert isinstance(verification, OtpVerification)
    assert verification.verified_at is not None
    assert check_otp_status.fn(credentials, phone=PHONE, purpose="login").has_active_otp is False


def test_verify_otp_wrong_code(credentials: RaslCredentials) -> None:
    send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)

    with pytest.raises(RaslOtpInvalidCodeError) as raised:
        verify_otp.fn(credentials, phone=PHONE, code="000000")

    assert raised.value.attempts_remaining == 4


def test_verify_otp_without_send(credentials: RaslCredentials) -> None:
    with pytest.raises(RaslOtpNotFoundError):
        verify_otp.fn(credentials, phone=PHONE, code=CODE)


def test_resend_otp_replaces_code(sandbox: Any, credentials: RaslCredentials) -> None:
    send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)

    resent = resend_otp.fn(credentials, phone=PHONE, template_name="otp_login")

    new_code = sandbox.admin.latest_otp_code(PHONE)
    assert resent.code_sent is True
    assert new_code != CODE
    assert len(new_code) == 6
    assert verify_otp.fn(credentials, phone=PHONE, code=new_code).verified_at is not None


def test_check_otp_status_counts_attempts(credentials: RaslCredentials) -> None:
    send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)
    with pytest.raises(RaslOtpInvalidCodeError):
        verify_otp.fn(credentials, phone=PHONE, code="111111")

    status = check_otp_status.fn(credentials, phone=PHONE)

    assert isinstance(status, OtpStatus)
    assert status.has_active_otp is True
    assert status.verification_attempts == 1
    assert status.attempts_remaining == 4


def test_check_otp_status_uses_no_attempt(credentials: RaslCredentials) -> None:
    send_otp.fn(credentials, phone=PHONE, template_name="otp_login", code=CODE)

    for _ in range(3):
        check_otp_status.fn(credentials, phone=PHONE)

    assert check_otp_status.fn(credentials, phone=PHONE).attempts_remaining == 5


def test_list_authentication_templates_only(credentials: RaslCredentials) -> None:
    templates = list_authentication_templates.fn(credentials)

    assert isinstance(templates, ItemList)
    assert all(isinstance(template, AuthenticationTemplate) for template in templates.items)
    assert [template.template_name for template in templates.items] == ["otp_login"]


def test_list_authentication_templates_page(credentials: RaslCredentials) -> None:
    page = list_authentication_templates.fn(credentials, page=1, per_page=10)

    assert isinstance(page, Page)
    assert [template.template_name for template in page.items] == ["otp_login"]
