"""A whole campaign under injected server faults: every contact accounted for, none messaged twice.

The sandbox returns 500 for 5% of requests, 503 for 2%, resets 2% of connections before a
response, drops 1% of responses after handling the request, adds latency and rearms bursts of
429s while the flow runs. The CI size is 2,000 contacts (about 40 s on 2 loaded cores);
`--long` runs 5,000.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from rasl_prefect import RaslCredentials
from tests.reliability.support import (
    IMPORT_SOURCE_ID,
    NEW_STATUS_ID,
    sandbox_message_count,
    template_messages_per_phone,
    write_campaign_file,
)

CI_CONTACTS = 2_000
LONG_CONTACTS = 5_000
FIRST_NUMBER = 500_010_000
FAULT_SEED = 20261204
MAX_FLOW_RUNS = 3
"""Runs of the same campaign: a chunk whose idempotent request failed 3 times fails the run, and
the user's remedy is to run the campaign again."""

BASE_FAULTS: dict[str, Any] = {
    "error_500": 0.05,
    "error_503": 0.02,
    "reset": 0.02,
    "drop_after_commit": 0.01,
    "latency_ms": 2,
    "latency_jitter_ms": 10,
}
BURST_SIZE = 5
"""429s per burst, no more than the client's `max_retries` (5 by default). After a 429 the
client holds every thread and retries one request at a time, so one request can get the whole
burst. A longer burst fails that request with `RaslRateLimitError`, and when it is a batch create
or a group add, the chunk and the flow run fail."""
BURST_PAUSE_SECONDS = 3.0
MAX_BURSTS = 5


def rearm_429_bursts(sandbox: Any, stop: threading.Event, bursts: list[int]) -> None:
    """Start up to 5 bursts of 429s while messages are sent, each 3 s after the last one ended.

    The first burst waits for the first message, so that it hits concurrent sends and not the
    run's first lone request. A burst is a count of requests, not a time span, so the next one
    waits for it to be used up. The client slows down after a 429, so bursts armed on a timer
    would reject almost every request with 429.
    """
    while not stop.is_set() and sandbox_message_count(sandbox) == 0:
        time.sleep(0.05)
    for index in range(MAX_BURSTS):
        if stop.is_set():
            return
        sandbox.admin.set_faults(**BASE_FAULTS, burst_429=BURST_SIZE, seed=FAULT_SEED + index + 1)
        bursts.append(index)
        while not stop.is_set() and sandbox.admin.faults()["settings"]["burst_429"] > 0:
            time.sleep(0.1)
        if stop.wait(BURST_PAUSE_SECONDS):
            return


@pytest.mark.timeout(900)
def test_campaign_under_faults(
    fast_window_sandbox: Any, result_storage: Path, tmp_path: Path, long_run: bool
) -> None:
    from flows.csv_import import csv_import

    sandbox = fast_window_sandbox
    sandbox.admin.reset()
    size = LONG_CONTACTS if long_run else CI_CONTACTS
    campaign = write_campaign_file(tmp_path / "contacts.csv", size, first_number=FIRST_NUMBER)
    credentials = RaslCredentials(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        requests_per_minute=1_000_000,
        max_retry_wait_seconds=10,
    )

    sandbox.admin.set_faults(**BASE_FAULTS, seed=FAULT_SEED)
    stop = threading.Event()
    bursts: list[int] = []
    burster = threading.Thread(target=rearm_429_bursts, args=(sandbox, stop, bursts), daemon=True)
    burster.start()

    started = time.monotonic()
    states = []
    try:
        for _ in range(MAX_FLOW_RUNS):
            state = csv_import(
                source=str(campaign.path),
                credentials=credentials,
                group_name="Reliability faults",
                template_name="welcome_offer",
                template_fields=["First Name"],
                source_id=IMPORT_SOURCE_ID,
                status_id=NEW_STATUS_ID,
                campaign_id=f"faults-{size}",
                return_state=True,
            )
            states.append(state)
            if state.is_completed():
                break
    finally:
        stop.set()
        burster.join(timeout=30)
        injected = sandbox.admin.faults()["injected"]
        sandbox.admin.clear_faults()
    elapsed = time.monotonic() - started

    assert states[-1].is_completed(), f"{len(states)} runs failed: {states[-1].message}"
    report = states[-1].result()
    messaged = template_messages_per_phone(sandbox)
    failed_lines = {send.line_number for send in report.failed_sends if send.status == "failed"}
    unknown_lines = {send.line_number for send in report.failed_sends if send.status == "unknown"}
    print(
        f"\n{size} contacts in {elapsed:.0f} s and {len(states)} flow run(s): "
        f"{report.messages_sent} sent, {report.messages_already_sent} already sent, "
        f"{report.messages_failed} failed, {report.messages_unknown} unknown, "
        f"{report.messages_not_consented} not consented, {report.contacts_failed} contacts "
        f"not created; faults injected {injected}; {len(bursts)} bursts of 429"
    )

    for fault in ("error_500", "error_503", "reset", "drop_after_commit", "burst_429"):
        assert injected.get(fault, 0) > 0, f"no {fault} fault was injected"

    assert max(messaged.values()) == 1
    assert not set(messaged) & campaign.not_consented
    assert set(messaged) <= set(campaign.phones)

    assert report.rows_accepted == size
    assert report.contacts_failed == 0
    assert report.messages_not_consented == len(campaign.not_consented)
    assert (
        report.messages_sent
        + report.messages_already_sent
        + report.messages_failed
        + report.messages_unknown
        == len(campaign.consented)
    )
    assert report.rows_not_listed == 0
    assert len(report.failed_sends) == report.messages_failed + report.messages_unknown

    for send in report.failed_sends:
        assert send.reason, f"send {send.status} on line {send.line_number} has no reason"
    for send in report.failed_sends:
        if send.status == "failed":
            assert send.error_code, f"failed send on line {send.line_number} has no error code"

    # Each consented phone is messaged, or reported failed or unknown on its own line.
    for phone in campaign.consented:
        line = campaign.line_by_phone[phone]
        if phone not in messaged:
            assert line in failed_lines | unknown_lines, f"line {line} is unaccounted for"

    # The sandbox injects 500 and 503 before handling a request, so a failed send sent nothing.
    for phone in campaign.consented:
        if campaign.line_by_phone[phone] in failed_lines:
            assert phone not in messaged, f"failed send on line {campaign.line_by_phone[phone]}"


SLOW_CONTACTS = 30
SLOW_FIRST_NUMBER = 500_080_000
CLIENT_TIMEOUT_SECONDS = 0.5
SEND_LATENCY_MS = 1_500


@pytest.mark.timeout(300)
def test_campaign_against_slow_sends(
    fast_window_sandbox: Any, result_storage: Path, tmp_path: Path
) -> None:
    from flows.csv_import import csv_import

    sandbox = fast_window_sandbox
    sandbox.admin.reset()
    campaign = write_campaign_file(
        tmp_path / "slow.csv", SLOW_CONTACTS, first_number=SLOW_FIRST_NUMBER
    )
    credentials = RaslCredentials(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        requests_per_minute=1_000_000,
        timeout_seconds=CLIENT_TIMEOUT_SECONDS,
    )
    parameters: dict[str, Any] = {
        "source": str(campaign.path),
        "credentials": credentials,
        "group_name": "Reliability slow sends",
        "template_name": "welcome_offer",
        "template_fields": ["First Name"],
        "source_id": IMPORT_SOURCE_ID,
        "status_id": NEW_STATUS_ID,
        "campaign_id": "slow-sends",
    }

    # Every send outlasts the client's timeout. The client cannot tell whether the server went
    # on to handle it, so each one must be reported unknown and never sent again.
    sandbox.admin.set_faults(latency_ms=SEND_LATENCY_MS, paths=["/api/v2/messages/template"])
    started = time.monotonic()
    first = csv_import(**parameters)
    elapsed = time.monotonic() - started
    sandbox.admin.clear_faults()
    time.sleep(SEND_LATENCY_MS / 1000 + 0.5)
    messaged_after_first = template_messages_per_phone(sandbox)

    second = csv_import(**parameters)
    messaged = template_messages_per_phone(sandbox)
    print(
        f"\n{SLOW_CONTACTS} slow sends in {elapsed:.1f} s: {first.messages_unknown} unknown; "
        f"second run {second.messages_unknown} unknown, {second.messages_sent} sent"
    )

    assert first.messages_unknown == len(campaign.consented)
    for send in first.failed_sends:
        assert "no response arrived" in (send.reason or ""), send.reason
    assert elapsed < 60
    assert second.messages_sent == 0
    assert second.messages_unknown == len(campaign.consented)
    assert messaged == messaged_after_first
    assert all(count == 1 for count in messaged.values())
