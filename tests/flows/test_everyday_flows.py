"""The everyday flows against the sandbox under a real Prefect server: results and artifacts."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from everyday_support import read_artifacts, run_flow

from flows.account_usage_report import THRESHOLD_EVENT, account_usage_report, usage_row
from flows.contacts_cleanup import contacts_cleanup, read_contact_ids
from flows.delivery_report import delivery_report
from flows.otp_verification import otp_verification
from flows.send_campaign_to_group import send_campaign_to_group
from flows.template_sync import compare, read_snapshot, template_sync, write_snapshot
from rasl_prefect import RaslCredentials
from rasl_prefect.models import FeatureUsage

SEEDED_TEMPLATES = 8


def create_contacts(api: httpx.Client, count: int, first_number: int, **fields: Any) -> list[int]:
    """Create `count` contacts with consecutive Saudi numbers and return their ids."""
    contacts = [
        {
            "firstname": f"Member{offset}",
            "lastname": "Sample",
            "phone": f"+966{first_number + offset}",
            "type": "lead",
            "source_id": 3,
            "status_id": 1,
            **fields,
        }
        for offset in range(count)
    ]
    response = api.post("/contacts/batch", json={"contacts": contacts})
    response.raise_for_status()
    return [contact["id"] for contact in response.json()["data"]["created"]]


def set_template_status(sandbox: Any, template_name: str, status: str) -> None:
    """Change a template's status in the sandbox's state, as a WhatsApp review would."""
    with sandbox.state.lock:
        for key, record in list(sandbox.state.templates.items()):
            if record["template_name"] == template_name:
                sandbox.state.templates.put(key, {**record, "status": status})


def table_rows(artifact: Any) -> list[dict[str, Any]]:
    """Return the rows of a table artifact."""
    data = artifact.data
    return list(json.loads(data) if isinstance(data, str) else data)


def send_template(api: httpx.Client, phone: str) -> int:
    """Send the welcome template to `phone` and return the message record's id."""
    response = api.post(
        "/messages/template",
        json={"phone": phone, "template_name": "welcome_offer", "language": "en", "field_1": "A"},
    )
    response.raise_for_status()
    listed = api.get("/messages", params={"sort": "-id", "per_page": 1})
    return int(listed.json()["data"][0]["id"])


# template_sync


def test_template_sync_reports_changes(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    variable = f"rasl_templates_test_{uuid.uuid4().hex[:8]}"

    first, first_run_id = run_flow(template_sync, credentials=credentials, variable_name=variable)
    sandbox.admin.add_template(
        template_name="winter_sale", language="ar", category="MARKETING", body="خصم {{1}}"
    )
    set_template_status(sandbox, "holiday_promo", "APPROVED")
    set_template_status(sandbox, "welcome_offer", "REJECTED")
    second, second_run_id = run_flow(template_sync, credentials=credentials, variable_name=variable)

    assert first.first_run is True
    assert first.templates == SEEDED_TEMPLATES
    assert len(table_rows(read_artifacts(first_run_id)["template-sync-changes"])) == 8
    assert second.first_run is False
    changes = {(change.change, change.template_name) for change in second.changes}
    assert changes == {
        ("new", "winter_sale"),
        ("newly approved", "holiday_promo"),
        ("rejected", "welcome_offer"),
    }
    rows = table_rows(read_artifacts(second_run_id)["template-sync-changes"])
    assert {row["template_name"] for row in rows} == {
        "winter_sale",
        "holiday_promo",
        "welcome_offer",
    }
    assert "| newly approved | 1 |" in str(
        read_artifacts(second_run_id)["template-sync-summary"].data
    )


def test_template_sync_unchanged_second_run(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    variable = f"rasl_templates_test_{uuid.uuid4().hex[:8]}"

    run_flow(template_sync, credentials=credentials, variable_name=variable)
    second, _ = run_flow(
        template_sync, credentials=credentials, variable_name=variable, sync_first=False
    )

    assert second.first_run is False
    assert second.changes == []
    assert second.by_status == {"APPROVED": 6, "PENDING": 1, "REJECTED": 1}


# account_usage_report


def read_events(api_url: str, name: str, resource_id: str) -> list[dict[str, Any]]:
    """Return the events of `name` on `resource_id` that the Prefect server stored, waiting up
    to 30 seconds for the first one, because the server stores events in the background."""
    body = {
        "filter": {"event": {"name": [name]}, "resource": {"id": [resource_id]}},
        "limit": 50,
    }
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while True:
            response = client.post("/events/filter", json=body)
            response.raise_for_status()
            events: list[dict[str, Any]] = response.json()["events"]
            if events or time.monotonic() > deadline:
                return events
            time.sleep(0.5)


def test_usage_report_flags_contacts(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    sandbox.admin.update_plan(limits={"contacts": 10})
    create_contacts(api, 9, 500_004_000)

    report, flow_run_id = run_flow(account_usage_report, credentials=credentials)

    rows = {row.feature: row for row in report.usage}
    assert report.over_threshold == ["contacts"]
    assert rows["contacts"].percent_used == 90.0
    assert rows["conversations"].limit is None
    assert rows["staff"].over_threshold is False
    artifacts = read_artifacts(flow_run_id)
    assert len(table_rows(artifacts["account-usage"])) == 4
    assert "**over threshold**" in str(artifacts["account-usage-summary"].data)
    events = read_events(prefect_server, THRESHOLD_EVENT, f"rasl.account.{report.account_id}")
    contacts_events = [event for event in events if event["payload"]["feature"] == "contacts"]
    assert contacts_events
    assert contacts_events[0]["payload"]["percent_used"] == 90.0


def test_usage_report_below_threshold(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    report, _ = run_flow(account_usage_report, credentials=credentials, threshold_percent=95)

    assert report.over_threshold == []
    assert report.api_calls_per_minute == 100_000
    assert report.features["whatsapp_templates"] is True


# delivery_report


def test_delivery_report_counts_window(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    outside = send_template(api, "+966500005001")
    sandbox.admin.advance_clock(30 * 3600)
    delivered = send_template(api, "+966500005002")
    failed = send_template(api, "+966500005003")
    send_template(api, "+966500005004")
    sandbox.admin.advance_message_status("delivered", ids=[outside, delivered])
    sandbox.admin.advance_message_status(
        "failed", ids=[failed], reason="Recipient is not on WhatsApp"
    )
    window_end = datetime.now(timezone.utc) + timedelta(hours=31)

    report, flow_run_id = run_flow(delivery_report, credentials=credentials, window_end=window_end)
    counts = {row.type: row for row in report.by_type}

    assert report.messages == 3
    assert counts["template"].delivered == 1
    assert counts["template"].failed == 1
    assert counts["template"].sent == 1
    assert [reason.reason for reason in report.reasons] == ["Recipient is not on WhatsApp"]
    assert report.truncated is False
    artifacts = read_artifacts(flow_run_id)
    assert table_rows(artifacts["delivery-report"])[0]["failed"] == 1
    assert "| Recipient is not on WhatsApp | 1 |" in str(artifacts["delivery-report-summary"].data)


def test_delivery_report_stops_at_max_pages(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    for offset in range(101):
        send_template(api, f"+966500051{offset:03d}")

    report, flow_run_id = run_flow(delivery_report, credentials=credentials, max_pages=1, hours=1)

    assert report.messages == 100
    assert report.pages_read == 1
    assert report.truncated is True
    summary = str(read_artifacts(flow_run_id)["delivery-report-summary"].data)
    assert "counts are partial" in summary


# contacts_cleanup


def test_cleanup_dry_run_deletes_nothing(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    ids = create_contacts(api, 4, 500_006_000)
    sandbox.admin.set_opt_out(ids[1])
    sandbox.admin.set_opt_out(ids[3])

    report, flow_run_id = run_flow(contacts_cleanup, credentials=credentials, opted_out=True)

    assert report.dry_run is True
    assert [contact.id for contact in report.contacts] == [ids[1], ids[3]]
    assert report.deleted == 0
    assert api.get(f"/contacts/{ids[1]}").status_code == 200
    rows = table_rows(read_artifacts(flow_run_id)["contacts-cleanup"])
    assert [row["masked_phone"] for row in rows] == ["***6001", "***6003"]
    assert "500006001" not in json.dumps(rows)


def test_cleanup_deletes_opted_out_in_group(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    ids = create_contacts(api, 4, 500_006_100)
    group_id = api.post("/groups", json={"name": "Cleanup"}).json()["data"]["id"]
    api.post(f"/groups/{group_id}/contacts", json={"contact_ids": ids[:2]}).raise_for_status()
    for contact_id in (ids[0], ids[3]):
        sandbox.admin.set_opt_out(contact_id)

    report, _ = run_flow(
        contacts_cleanup, credentials=credentials, opted_out=True, group_id=group_id, dry_run=False
    )

    assert report.selected == 1
    assert report.deleted == 1
    assert report.batches == 1
    assert api.get(f"/contacts/{ids[0]}").status_code == 404
    assert api.get(f"/contacts/{ids[3]}").status_code == 200


def test_cleanup_ids_file_in_batches(
    prefect_server: str,
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    tmp_path: Path,
) -> None:
    ids = create_contacts(api, 100, 500_006_200) + create_contacts(api, 5, 500_006_300)
    source = tmp_path / "ids.csv"
    source.write_text("id\n" + "\n".join(str(i) for i in ids) + "\n999999 # unknown\n")

    report, _ = run_flow(
        contacts_cleanup, credentials=credentials, ids_file=str(source), dry_run=False
    )

    assert report.selected == 105
    assert report.deleted == 105
    assert report.batches == 2
    assert report.ids_not_found == [999999]
    assert api.get("/contacts").json()["data"] == []


def test_cleanup_requires_a_criterion(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    state = contacts_cleanup(credentials=credentials, dry_run=False, return_state=True)

    assert state.is_failed()
    with pytest.raises(ValueError, match="No contacts chosen"):
        state.result()


def test_read_contact_ids_rejects_text(tmp_path: Path) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("12, 13\n14;abc\n")

    with pytest.raises(ValueError, match="line 2: 'abc'"):
        read_contact_ids(str(source))


def test_read_contact_ids_skips_comments(tmp_path: Path) -> None:
    source = tmp_path / "ids.txt"
    source.write_text("# exported today\n12 13\n\n13,14\n")

    assert read_contact_ids(str(source)) == [12, 13, 14]


# send_campaign_to_group


def test_group_campaign_sends_once(
    prefect_server: str,
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
) -> None:
    ids = create_contacts(api, 3, 500_007_000)
    create_contacts(api, 1, 500_007_100)
    group_id = api.post("/groups", json={"name": "VIP"}).json()["data"]["id"]
    api.post(f"/groups/{group_id}/contacts", json={"contact_ids": ids}).raise_for_status()
    sandbox.admin.set_opt_out(ids[2])
    parameters = {
        "credentials": credentials,
        "group_name": "VIP",
        "template_name": "welcome_offer",
        "template_fields": ["@{contact_first_name}"],
    }

    first, flow_run_id = run_flow(send_campaign_to_group, **parameters)
    second, _ = run_flow(send_campaign_to_group, **parameters)

    assert first.members == 3
    assert first.messages_sent == 2
    assert first.skipped == 1
    assert first.skipped_members[0].reason == "opted out of messages"
    assert second.campaign_id == first.campaign_id
    assert second.messages_sent == 0
    assert second.messages_already_sent == 2
    outbound = api.get("/messages", params={"filter[direction]": "outbound"}).json()["data"]
    assert len(outbound) == 2
    assert {message["message"] for message in outbound} == {
        message["message"] for message in outbound if "Member" in message["message"]
    }
    artifacts = read_artifacts(flow_run_id)
    assert "| messages sent | 2 |" in str(artifacts["group-campaign-summary"].data)
    assert table_rows(artifacts["group-campaign-problems"])[0]["phone"] == "***7002"


def test_group_campaign_unknown_group(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, result_storage: Path
) -> None:
    state = send_campaign_to_group(
        credentials=credentials,
        group_name="Nobody",
        template_name="welcome_offer",
        template_fields=["x"],
        return_state=True,
    )

    assert state.is_failed()
    with pytest.raises(ValueError, match="'Nobody' was not found"):
        state.result()


# Pure helpers of the flows


def test_compare_finds_edit_and_removal() -> None:
    previous = {
        "1": ["APPROVED", "aaaa", "welcome_offer", "en", "MARKETING"],
        "2": ["APPROVED", "bbbb", "old_promo", "en", "MARKETING"],
    }
    current = {"1": ["APPROVED", "cccc", "welcome_offer", "en", "MARKETING"]}

    changes = compare(previous, current)

    assert [(change.change, change.template_name) for change in changes] == [
        ("changed", "welcome_offer"),
        ("removed", "old_promo"),
    ]
    assert changes[1].previous_status == "APPROVED"


def test_snapshot_split_over_variables(prefect_server: str) -> None:
    variable = f"rasl_templates_test_{uuid.uuid4().hex[:8]}"
    entries = {
        str(number): ["APPROVED", f"{number:010x}", f"قالب_{number}", "ar", "UTILITY"]
        for number in range(200)
    }

    parts = write_snapshot(variable, entries)

    assert parts > 1
    assert read_snapshot(variable) == entries


def test_usage_row_zero_limit() -> None:
    row = usage_row("campaigns", FeatureUsage(current=1, limit=0), 80)

    assert row.percent_used == 100.0
    assert row.over_threshold is True


def test_usage_row_computes_missing_percent() -> None:
    row = usage_row("staff", FeatureUsage(current=4, limit=5), 80)

    assert row.percent_used == 80.0
    assert row.over_threshold is True


def test_usage_row_unlimited_never_flagged() -> None:
    row = usage_row("conversations", FeatureUsage(current=10**6, limit=-1), 80)

    assert row.limit is None
    assert row.over_threshold is False


def test_read_contact_ids_from_fsspec_url() -> None:
    import fsspec

    url = f"memory://cleanup-{uuid.uuid4().hex[:8]}/ids.txt"
    with fsspec.open(url, "wt") as file:
        file.write("7\n8\n")

    assert read_contact_ids(url) == [7, 8]


@pytest.mark.parametrize(
    "flow",
    [
        account_usage_report,
        contacts_cleanup,
        delivery_report,
        otp_verification,
        send_campaign_to_group,
        template_sync,
    ],
    ids=lambda flow: flow.name,
)
def test_flow_form_describes_parameters(flow: Any) -> None:
    properties = flow.parameters.model_dump()["properties"]

    undescribed = [name for name, schema in properties.items() if not schema.get("description")]
    assert properties
    assert undescribed == []
