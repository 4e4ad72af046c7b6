"""The csv_import process killed with SIGKILL three times while sending, then run to the end.

Each kill lands at a random number of sent messages. The file has 600 contacts, 2,000 with
`--long`. The last run must leave every consented
contact with exactly one message, or reported unknown because an earlier run recorded its intent
and was killed before recording the outcome. Unknown sends are bounded by the sends that can be
in flight at a kill, and no phone gets two messages.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rasl_prefect.campaign.runner import CHUNKS_IN_FLIGHT
from rasl_prefect.campaign.sender import DEFAULT_SEND_CONCURRENCY
from tests.reliability.support import (
    sandbox_message_count,
    template_messages_per_phone,
    write_campaign_file,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 600
LONG_CONTACTS = 2_000
FIRST_NUMBER = 500_020_000
KILLS = 3
KILL_SEED = 7
MESSAGES_BEFORE_KILL = (5, 80)
"""Range of new messages the sandbox records before each kill."""

PROCESS_TIMEOUT_SECONDS = 240
"""Maximum wait for one flow process, in seconds; it imports Prefect first."""

SENDS_IN_FLIGHT = DEFAULT_SEND_CONCURRENCY * CHUNKS_IN_FLIGHT
"""Sends one flow process can have in flight: each chunk task running at once sends on its own
thread pool."""


def start_flow(
    sandbox: Any, prefect_server: str, storage: Path, contacts: Path, log: Path
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `crash_run` in a new Python process and return it and its report path."""
    environment = dict(os.environ)
    environment.update(
        {
            "PREFECT_API_URL": prefect_server,
            "PREFECT_LOCAL_STORAGE_PATH": str(storage),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(REPO_ROOT),
            "RASL_TEST_TOKEN": sandbox.token,
            "RASL_TEST_BASE_URL": sandbox.base_url,
        }
    )
    report = log.with_suffix(".json")
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.crash_run", str(contacts), str(report)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return process, report


def wait_for_messages(
    sandbox: Any, process: subprocess.Popen[bytes], target: int, log: Path
) -> bool:
    """Wait until the sandbox stored `target` messages; return False if the process ended first."""
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    while sandbox_message_count(sandbox) < target:
        if process.poll() is not None:
            assert process.returncode == 0, log.read_text(errors="replace")
            return False
        assert time.monotonic() < deadline, f"no message #{target} in time: {log}"
        time.sleep(0.005)
    return True


def run_final_flow(
    sandbox: Any,
    prefect_server: str,
    storage: Path,
    contacts: Path,
    log: Path,
    child_processes: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    """Run `crash_run` once more to the end, assert that it succeeded and return its report."""
    final, report_path = start_flow(sandbox, prefect_server, storage, contacts, log)
    child_processes.append(final)
    final.wait(timeout=PROCESS_TIMEOUT_SECONDS)
    assert final.returncode == 0, log.read_text(errors="replace")
    report: dict[str, Any] = json.loads(report_path.read_text(encoding="utf-8"))
    return report


@pytest.mark.timeout(900)
def test_three_kills_then_rerun(
    sandbox: Any,
    prefect_server: str,
    tmp_path: Path,
    child_processes: list[subprocess.Popen[bytes]],
    long_run: bool,
) -> None:
    size = LONG_CONTACTS if long_run else CONTACTS
    storage = tmp_path / "prefect-results"
    storage.mkdir()
    campaign = write_campaign_file(tmp_path / "contacts.csv", size, first_number=FIRST_NUMBER)
    # Slow sends keep several requests in flight at each kill.
    sandbox.admin.set_faults(
        latency_ms=20, latency_jitter_ms=30, paths=["/api/v2/messages/template"], seed=KILL_SEED
    )
    draws = random.Random(KILL_SEED)

    kills = 0
    for attempt in range(KILLS):
        log = tmp_path / f"killed-{attempt}.log"
        process, _ = start_flow(sandbox, prefect_server, storage, campaign.path, log)
        child_processes.append(process)
        target = sandbox_message_count(sandbox) + draws.randint(*MESSAGES_BEFORE_KILL)
        if not wait_for_messages(sandbox, process, target, log):
            break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        kills += 1
    # Requests that reached the sandbox before a kill finish after their latency.
    time.sleep(0.5)
    sandbox.admin.clear_faults()

    report = run_final_flow(
        sandbox, prefect_server, storage, campaign.path, tmp_path / "final.log", child_processes
    )

    messaged = template_messages_per_phone(sandbox)
    unknown_lines = {
        send["line_number"] for send in report["failed_sends"] if send["status"] == "unknown"
    }
    print(
        f"\n{kills} kills, then a full run: {report['messages_sent']} sent by the last run, "
        f"{report['messages_already_sent']} already sent, {report['messages_unknown']} unknown "
        f"(at most {kills * SENDS_IN_FLIGHT}), {report['messages_failed']} failed, "
        f"{sum(messaged.values())} messages in the sandbox"
    )

    assert kills == KILLS
    assert max(messaged.values()) == 1
    assert not set(messaged) & campaign.not_consented
    assert report["messages_failed"] == 0
    assert report["messages_unknown"] == len(unknown_lines)
    assert report["messages_unknown"] <= kills * SENDS_IN_FLIGHT
    assert report["messages_sent"] + report["messages_already_sent"] + report[
        "messages_unknown"
    ] == len(campaign.consented)

    for phone in campaign.consented:
        line = campaign.line_by_phone[phone]
        if line not in unknown_lines:
            assert messaged[phone] == 1, f"line {line} has {messaged[phone]} messages"


def sandbox_contact_phones(sandbox: Any) -> list[str]:
    """Return the phone of every contact the sandbox stored, one entry per contact."""
    with sandbox.state.lock:
        return [
            "+" + str(record["phone"]).lstrip("+") for record in sandbox.state.contacts.values()
        ]


def group_member_phones(sandbox: Any) -> set[str]:
    """Return the phones of the contacts in any group."""
    with sandbox.state.lock:
        return {
            "+" + str(record["phone"]).lstrip("+")
            for record in sandbox.state.contacts.values()
            if record.get("group_id")
        }


@pytest.mark.timeout(600)
def test_kill_while_creating_contacts(
    sandbox: Any,
    prefect_server: str,
    tmp_path: Path,
    child_processes: list[subprocess.Popen[bytes]],
) -> None:
    storage = tmp_path / "prefect-results"
    storage.mkdir()
    campaign = write_campaign_file(tmp_path / "contacts.csv", 300, first_number=FIRST_NUMBER)
    # Slow batch creates and group adds, so the kill lands among them.
    sandbox.admin.set_faults(latency_ms=150, paths=["/api/v2/contacts/batch", "/api/v2/groups/"])

    log = tmp_path / "killed.log"
    process, _ = start_flow(sandbox, prefect_server, storage, campaign.path, log)
    child_processes.append(process)
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    while len(sandbox_contact_phones(sandbox)) < 1:
        assert process.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, f"no contact created in time: {log}"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    created_before_rerun = len(sandbox_contact_phones(sandbox))
    time.sleep(0.5)
    sandbox.admin.clear_faults()

    report = run_final_flow(
        sandbox, prefect_server, storage, campaign.path, tmp_path / "final.log", child_processes
    )

    contacts = sandbox_contact_phones(sandbox)
    messaged = template_messages_per_phone(sandbox)
    print(
        f"\nkilled with {created_before_rerun} contacts created; the rerun left {len(contacts)} "
        f"contacts, {report['messages_sent']} sent, {report['messages_unknown']} unknown"
    )

    assert created_before_rerun < len(campaign.phones)
    assert sorted(contacts) == sorted(campaign.phones)
    assert group_member_phones(sandbox) == set(campaign.phones)
    assert max(messaged.values()) == 1
    assert not set(messaged) & campaign.not_consented
    assert report["messages_failed"] == 0
    assert report["messages_sent"] + report["messages_already_sent"] + report[
        "messages_unknown"
    ] == len(campaign.consented)
    assert report["messages_unknown"] <= SENDS_IN_FLIGHT
