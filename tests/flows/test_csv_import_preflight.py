"""The csv_import flow's checks before any side effect, its dry run and the plan's contact limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import CampaignPreflightError
from rasl_prefect.importing import ContactFileError
from tests.flows.csv_import_support import (
    IMPORT_SOURCE_ID,
    NEW_STATUS_ID,
    contacts_by_phone,
    group_member_phones,
    list_all,
    messages_per_chat,
    run_import,
    template_messages,
    write_contacts_file,
)

WRITE_ROUTES = ("POST", "PUT", "PATCH", "DELETE")


def write_requests(sandbox: Any) -> int:
    """Return how many create, update or delete requests the sandbox's API received."""
    routes = sandbox.admin.stats()["routes"]
    return sum(
        sum(counts.values()) for route, counts in routes.items() if route.startswith(WRITE_ROUTES)
    )


PREFLIGHT_CASES = [
    pytest.param(
        {"template_name": "no_such_template"},
        CampaignPreflightError,
        "template 'no_such_template' was not found in RASL",
        id="missing-template",
    ),
    pytest.param(
        {"template_name": "order_confirmation"},
        CampaignPreflightError,
        "takes 3 body parameters but template_fields gives 1",
        id="wrong-parameter-count",
    ),
    pytest.param(
        {"template_name": "holiday_promo"},
        CampaignPreflightError,
        "is PENDING, not APPROVED",
        id="pending-template",
    ),
    pytest.param(
        {"template_name": "flash_sale"},
        CampaignPreflightError,
        "is REJECTED, not APPROVED",
        id="rejected-template",
    ),
    pytest.param(
        {"language": "ar"},
        CampaignPreflightError,
        "has no 'ar' version; its languages are en",
        id="wrong-language",
    ),
    pytest.param(
        {"template_fields": ["@{contact_city}"]},
        CampaignPreflightError,
        "'@{contact_city}' is not a RASL merge field",
        id="unknown-merge-field",
    ),
    pytest.param(
        {"campaign_id": "../other-campaign"},
        ValueError,
        "campaign_id '../other-campaign' is invalid",
        id="campaign-id-with-path",
    ),
    pytest.param(
        {"template_fields": ["Loyalty Tier"]},
        ContactFileError,
        "'Loyalty Tier', which is not in the file",
        id="template-column-missing",
    ),
]


@pytest.mark.parametrize(("parameters", "error", "message"), PREFLIGHT_CASES)
def test_preflight_stops_before_writes(
    parameters: dict[str, Any],
    error: type[Exception],
    message: str,
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    write_contacts_file(tmp_path / "contacts.csv", 3)

    with pytest.raises(error, match=message.replace("(", r"\(").replace("{", r"\{")):
        run_import(credentials, tmp_path / "contacts.csv", **parameters)

    assert write_requests(sandbox) == 0
    assert contacts_by_phone(api) == {}
    assert list_all(api, "/groups") == []


def test_preflight_missing_declared_scope(
    sandbox: Any, api: httpx.Client, result_storage: Path, tmp_path: Path
) -> None:
    write_contacts_file(tmp_path / "contacts.csv", 3)
    credentials = RaslCredentials(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        scopes=["contacts:read", "contacts:write", "templates:read", "messages:send"],
    )

    with pytest.raises(CampaignPreflightError, match="lacks the scopes groups:read, groups:write"):
        run_import(credentials, tmp_path / "contacts.csv")

    assert sandbox.admin.stats()["total"] == 0
    assert contacts_by_phone(api) == {}


def test_dry_run_counts_only(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    write_contacts_file(tmp_path / "contacts.csv", 12)
    with (tmp_path / "contacts.csv").open("a", encoding="utf-8") as file:
        file.write("Bad,Number,12345\nDuplicate,Row,+966500002000\n")

    report = run_import(credentials, tmp_path / "contacts.csv", dry_run=True)

    assert report.dry_run is True
    assert report.rows_read == 14
    assert report.rows_accepted == 12
    assert report.rows_rejected == 1
    assert report.duplicate_rows == 1
    assert report.contacts_created == 0
    assert report.messages_sent == 0
    assert report.messages_planned == 12
    assert "messages a real run would send | 12" in report.summary_markdown()
    assert report.group_id is None
    assert write_requests(sandbox) == 0
    assert contacts_by_phone(api) == {}


def create_existing_contacts(api: httpx.Client, phones: list[str]) -> None:
    """Create contacts in the sandbox directly, as if an earlier import had made them."""
    contacts = [
        {
            "firstname": "Existing",
            "lastname": "Contact",
            "phone": phone,
            "type": "lead",
            "source_id": IMPORT_SOURCE_ID,
            "status_id": NEW_STATUS_ID,
        }
        for phone in phones
    ]
    response = api.post("/contacts/batch", json={"contacts": contacts})
    response.raise_for_status()
    assert response.json()["data"]["summary"]["created"] == len(phones)


def test_plan_limit_stops_creating_keeps_sending(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    phones = write_contacts_file(tmp_path / "contacts.csv", 40)
    create_existing_contacts(api, phones[35:])
    sandbox.admin.update_plan(limits={"contacts": 20})

    report = run_import(credentials, tmp_path / "contacts.csv", batch_size=10)

    contacts = contacts_by_phone(api)
    assert len(contacts) == 15
    assert set(phones[35:]) <= set(contacts)
    assert report.plan_limit_reached is True
    assert "contact limit was reached" in report.summary_markdown()
    assert report.contacts_created == 10
    assert report.contacts_existing == 5
    assert report.contacts_failed == 25
    assert group_member_phones(api, report.group_id) == set(contacts)
    assert report.messages_sent == 15
    assert len(template_messages(api)) == 15
    assert set(messages_per_chat(api).values()) == {1}
