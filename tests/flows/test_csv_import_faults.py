"""The csv_import flow under server faults: no message sent twice, every contact accounted for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from rasl_prefect import RaslCredentials
from tests.flows.csv_import_support import (
    contacts_by_phone,
    group_member_phones,
    messaged_phones,
    messages_per_chat,
    run_import,
    template_messages,
)

CONTACT_COUNT = 300
FIRST_NUMBER = 500_003_000


def write_campaign_file(path: Path) -> tuple[list[str], set[str]]:
    """Write 300 contacts, every tenth without WhatsApp consent; return all phones and those."""
    lines = ["First Name,Last Name,Phone,Accepts WhatsApp Marketing"]
    phones = []
    not_consented = set()
    for offset in range(CONTACT_COUNT):
        phone = f"+966{FIRST_NUMBER + offset}"
        consent = "no" if offset % 10 == 9 else "yes"
        if consent == "no":
            not_consented.add(phone)
        phones.append(phone)
        lines.append(f"Contact{offset},Faults,{phone},{consent}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return phones, not_consented


def test_faults_never_duplicate_messages(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    phones, not_consented = write_campaign_file(tmp_path / "contacts.csv")
    sandbox.admin.set_faults(
        error_500=0.04, error_503=0.04, reset=0.03, drop_after_commit=0.03, seed=20261204
    )

    report = run_import(credentials, tmp_path / "contacts.csv", batch_size=50)
    injected = sandbox.admin.faults()["injected"]
    sandbox.admin.clear_faults()

    for fault in ("error_500", "error_503", "reset", "drop_after_commit"):
        assert injected.get(fault, 0) > 0, f"no {fault} fault was injected"

    messaged = Counter(messaged_phones(sandbox))
    assert max(messaged.values()) == 1
    assert not set(messaged) & not_consented
    assert len(template_messages(api)) == len(messaged)
    assert set(messages_per_chat(api).values()) == {1}

    assert report.rows_accepted == CONTACT_COUNT
    assert report.contacts_failed == 0
    assert (
        report.messages_sent
        + report.messages_already_sent
        + report.messages_failed
        + report.messages_unknown
        + report.messages_not_consented
        == CONTACT_COUNT
    )
    assert report.messages_not_consented == len(not_consented)
    assert report.messages_failed + report.messages_unknown > 0
    assert report.messages_sent <= len(messaged)
    assert len(messaged) <= report.messages_sent + report.messages_unknown

    assert len(report.failed_sends) == report.messages_failed + report.messages_unknown
    for send in report.failed_sends:
        assert send.reason, f"send {send.status} on line {send.line_number} has no reason"
    for send in report.failed_sends:
        if send.status == "failed":
            assert send.error_code, f"failed send on line {send.line_number} has no error code"

    assert set(contacts_by_phone(api)) == set(phones)
    assert group_member_phones(api, report.group_id) == set(phones)
