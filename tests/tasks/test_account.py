"""Account tasks against the sandbox over real HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from rasl_prefect import RaslCredentials
from rasl_prefect.models import AccountInfo, PlanLimits, UsageStatistics
from rasl_prefect.tasks import (
    create_contact,
    get_account_info,
    get_plan_limits,
    get_usage_statistics,
)


def test_get_account_info_reads_tenant(credentials: RaslCredentials, api: httpx.Client) -> None:
    expected = api.get("/account").json()["data"]

    account = get_account_info.fn(credentials)

    assert isinstance(account, AccountInfo)
    assert account.id == expected["id"]
    assert account.name == expected["name"]
    assert account.status == "active"


def test_get_usage_statistics_counts_contacts(credentials: RaslCredentials) -> None:
    before = get_usage_statistics.fn(credentials)
    assert isinstance(before, UsageStatistics)
    assert before.contacts is not None
    assert before.contacts.current is not None

    create_contact.fn(
        credentials,
        firstname="Sara",
        lastname="Haddad",
        phone="+966500000031",
        type="lead",
        source_id=1,
        status_id=1,
    )
    after = get_usage_statistics.fn(credentials)

    assert after.contacts is not None
    assert after.contacts.current == before.contacts.current + 1


def test_get_plan_limits_reports_token_rpm(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="slow", rpm=42, scopes=["account:read"])
    credentials = RaslCredentials(api_token=record["token"], base_url=sandbox.base_url)

    limits = get_plan_limits.fn(credentials)

    assert isinstance(limits, PlanLimits)
    assert limits.api_calls_per_minute == 42
    assert "contacts" in limits.limits
    assert limits.features.get("api_access") is True
