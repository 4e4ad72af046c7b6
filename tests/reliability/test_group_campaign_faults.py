"""`send_campaign_to_group` under injected server faults, then run again without them.

The group has 400 members, every tenth opted out. Under faults no phone gets two messages, and
every member is sent, skipped with a reason, failed with a reason or unknown with a reason.
A second run of the campaign with `retry_failed_sends` still sends no phone twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.client import RaslClient
from tests.reliability.support import IMPORT_SOURCE_ID, NEW_STATUS_ID, template_messages_per_phone

MEMBERS = 400
FIRST_NUMBER = 500_070_000
OPTED_OUT_EVERY = 10
MAX_FLOW_RUNS = 3
FAULTS: dict[str, Any] = {
    "error_500": 0.05,
    "error_503": 0.02,
    "reset": 0.02,
    "drop_after_commit": 0.01,
    "latency_ms": 2,
    "latency_jitter_ms": 10,
    "seed": 5,
}


def create_group_members(sandbox: Any) -> tuple[int, list[str], set[str]]:
    """Create the group and its members without faults; return its id, phones and opted out."""
    client = RaslClient(sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000)
    group = client.create_group("Reliability group campaign")
    assert group.id is not None
    phones = [f"+966{FIRST_NUMBER + offset}" for offset in range(MEMBERS)]
    opted_out = set()

    for start in range(0, MEMBERS, 100):
        batch = [
            {
                "firstname": f"Member{offset}",
                "lastname": "Group",
                "phone": phones[offset],
                "type": "lead",
                "source_id": IMPORT_SOURCE_ID,
                "status_id": NEW_STATUS_ID,
            }
            for offset in range(start, start + 100)
        ]
        created = client.batch_create_contacts(batch)
        ids = [contact.id for contact in created.created if contact.id is not None]
        assert len(ids) == 100
        client.add_contacts_to_group(group.id, ids)
        for contact in created.created:
            offset = phones.index("+" + str(contact.phone).lstrip("+"))
            if offset % OPTED_OUT_EVERY == OPTED_OUT_EVERY - 1:
                sandbox.admin.set_opt_out(contact.id, True)
                opted_out.add(phones[offset])

    client.close()
    return group.id, phones, opted_out


@pytest.mark.timeout(600)
def test_group_campaign_under_faults(sandbox: Any, result_storage: Path) -> None:
    from flows.send_campaign_to_group import send_campaign_to_group

    group_id, phones, opted_out = create_group_members(sandbox)
    credentials = RaslCredentials(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        requests_per_minute=100_000,
        max_retry_wait_seconds=5,
    )
    parameters: dict[str, Any] = {
        "credentials": credentials,
        "template_name": "welcome_offer",
        "group_id": group_id,
        "template_fields": ["@{contact_first_name}"],
        "campaign_id": "group-faults",
        "return_state": True,
    }

    sandbox.admin.set_faults(**FAULTS)
    states = []
    try:
        for _ in range(MAX_FLOW_RUNS):
            state = send_campaign_to_group(**parameters)
            states.append(state)
            if state.is_completed():
                break
    finally:
        injected = sandbox.admin.faults()["injected"]
        sandbox.admin.clear_faults()

    assert states[-1].is_completed(), f"{len(states)} runs failed: {states[-1].message}"
    report = states[-1].result()
    messaged = template_messages_per_phone(sandbox)
    print(
        f"\n{MEMBERS} members, {len(states)} flow run(s) under faults: {report.messages_sent} "
        f"sent, {report.messages_already_sent} already sent, {report.messages_failed} failed, "
        f"{report.messages_unknown} unknown, {report.skipped} skipped; faults injected {injected}"
    )

    assert injected.get("error_500", 0) > 0
    assert max(messaged.values()) == 1
    assert not set(messaged) & opted_out
    assert report.members == MEMBERS
    assert (
        report.messages_sent
        + report.messages_already_sent
        + report.messages_failed
        + report.messages_unknown
        + report.skipped
        == MEMBERS
    )
    assert report.skipped >= len(opted_out)
    for member in report.skipped_members:
        assert member.reason
    assert len(report.failed_sends) == report.messages_failed + report.messages_unknown
    for send in report.failed_sends:
        assert send.reason, f"send {send.status} to {send.masked_phone} has no reason"

    again = send_campaign_to_group(**{**parameters, "retry_failed_sends": True})
    assert again.is_completed(), again.message
    messaged_again = template_messages_per_phone(sandbox)
    print(f"after a second run: {sum(messaged_again.values())} messages to {len(phones)} members")

    assert max(messaged_again.values()) == 1
    assert not set(messaged_again) & opted_out
