"""The csv_import flow sends each message at most once: after a kill, a flow retry and a re-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.csv_import import csv_import
from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import Recipient, SendLedger, TemplateSender
from rasl_prefect.campaign.repeat import REPEAT_ATTEMPTS
from tests.flows.csv_import_support import (
    IMPORT_SOURCE_ID,
    NEW_STATUS_ID,
    last_digits,
    messaged_phones,
    run_import,
    template_messages,
    write_contacts_file,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

FLOW_SCRIPT = textwrap.dedent(
    """
    import os
    import sys

    from flows.csv_import import csv_import
    from rasl_prefect import RaslCredentials

    credentials = RaslCredentials(
        api_token=os.environ["RASL_TEST_TOKEN"],
        base_url=os.environ["RASL_TEST_BASE_URL"],
        requests_per_minute=100_000,
    )
    report = csv_import(
        source=sys.argv[1],
        credentials=credentials,
        group_name="Killed campaign",
        template_name="welcome_offer",
        template_fields=["@{contact_first_name}"],
        source_id=int(os.environ["RASL_TEST_SOURCE_ID"]),
        status_id=int(os.environ["RASL_TEST_STATUS_ID"]),
        campaign_id="killed-campaign",
        batch_size=20,
    )
    with open(sys.argv[2], "w", encoding="utf-8") as output:
        output.write(report.model_dump_json())
    """
)

FLOW_PROCESS_TIMEOUT_SECONDS = 240
"""Maximum wait for a flow subprocess, in seconds; it pays for importing Prefect first."""


def flow_environment(sandbox: Any, prefect_server: str, result_storage: Path) -> dict[str, str]:
    """Return the environment of a flow subprocess: the test's Prefect API, storage and sandbox."""
    environment = dict(os.environ)
    environment.update(
        {
            "PREFECT_API_URL": prefect_server,
            "PREFECT_LOCAL_STORAGE_PATH": str(result_storage),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
            "DO_NOT_TRACK": "1",
            "PYTHONPATH": str(REPO_ROOT),
            "RASL_TEST_TOKEN": sandbox.token,
            "RASL_TEST_BASE_URL": sandbox.base_url,
            "RASL_TEST_SOURCE_ID": str(IMPORT_SOURCE_ID),
            "RASL_TEST_STATUS_ID": str(NEW_STATUS_ID),
        }
    )
    return environment


def start_flow_process(
    tmp_path: Path, source: Path, environment: dict[str, str], name: str
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start the flow script in a new Python process; return it and its report path."""
    script = tmp_path / "run_csv_import.py"
    script.write_text(FLOW_SCRIPT, encoding="utf-8")
    report_path = tmp_path / f"{name}-report.json"
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(script), str(source), str(report_path)],
        cwd=REPO_ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, report_path


def sandbox_message_count(sandbox: Any) -> int:
    """Return how many messages the sandbox stored."""
    with sandbox.state.lock:
        return len(sandbox.state.messages)


def test_kill_mid_send_then_rerun(
    sandbox: Any,
    prefect_server: str,
    result_storage: Path,
    tmp_path: Path,
    child_processes: list[subprocess.Popen[bytes]],
) -> None:
    phones = write_contacts_file(tmp_path / "contacts.csv", 60)
    environment = flow_environment(sandbox, prefect_server, result_storage)
    sandbox.admin.set_faults(latency_ms=300, paths=["/api/v2/messages/template"])

    first, _ = start_flow_process(tmp_path, tmp_path / "contacts.csv", environment, "first")
    child_processes.append(first)
    deadline = time.monotonic() + FLOW_PROCESS_TIMEOUT_SECONDS
    while sandbox_message_count(sandbox) < 10:
        assert first.poll() is None, (tmp_path / "first.log").read_text(errors="replace")
        assert time.monotonic() < deadline, "the first run sent nothing in time"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    sandbox.admin.clear_faults()
    # Sends already received finish after the 300 ms latency, although their client is gone.
    time.sleep(1.0)

    messaged_before_rerun = Counter(messaged_phones(sandbox))
    assert 0 < len(messaged_before_rerun) < len(phones)

    second, report_path = start_flow_process(
        tmp_path, tmp_path / "contacts.csv", environment, "second"
    )
    child_processes.append(second)
    second.wait(timeout=FLOW_PROCESS_TIMEOUT_SECONDS)
    assert second.returncode == 0, (tmp_path / "second.log").read_text(errors="replace")
    report = json.loads(report_path.read_text(encoding="utf-8"))

    messaged = Counter(messaged_phones(sandbox))
    assert max(messaged.values()) == 1
    unknown_digits = {
        send["masked_phone"][-4:] for send in report["failed_sends"] if send["status"] == "unknown"
    }
    never_messaged = {last_digits(phone) for phone in phones if phone not in messaged}
    assert never_messaged <= unknown_digits
    assert report["messages_unknown"] == len(unknown_digits)
    assert report["messages_unknown"] > 0
    assert report["messages_sent"] == len(messaged) - len(messaged_before_rerun)
    assert report["messages_sent"] + report["messages_already_sent"] + report[
        "messages_unknown"
    ] == len(phones)
    assert report["messages_failed"] == 0


def fail_group_adds_for_a_while(sandbox: Any, after_messages: int, stop: threading.Event) -> None:
    """Fail group adds with 500s once the sandbox stored `after_messages` messages.

    A chunk makes `REPEAT_ATTEMPTS` attempts of a group add and then fails, which fails the flow
    run. The fault is cleared once that many 500s were returned and none for 2.5 seconds, which is
    longer than the chunk's waits between its attempts and shorter than the flow's retry delay.
    """
    while not stop.is_set() and sandbox_message_count(sandbox) < after_messages:
        time.sleep(0.01)
    sandbox.admin.set_faults(error_500=1.0, paths=["/api/v2/groups/"])

    injected = 0
    unchanged_since = time.monotonic()
    while not stop.is_set():
        count = sandbox.admin.faults().get("injected", {}).get("error_500", 0)
        if count != injected:
            injected, unchanged_since = count, time.monotonic()
        elif injected >= REPEAT_ATTEMPTS and time.monotonic() - unchanged_since > 2.5:
            break
        time.sleep(0.05)
    sandbox.admin.clear_faults()


def test_flow_retry_sends_no_duplicates(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    phones = write_contacts_file(tmp_path / "contacts.csv", 80)
    stop = threading.Event()
    saboteur = threading.Thread(target=fail_group_adds_for_a_while, args=(sandbox, 10, stop))
    saboteur.start()
    try:
        report = csv_import.with_options(retries=1, retry_delay_seconds=4)(
            source=str(tmp_path / "contacts.csv"),
            credentials=credentials,
            group_name="Retried campaign",
            template_name="welcome_offer",
            template_fields=["@{contact_first_name}"],
            source_id=IMPORT_SOURCE_ID,
            status_id=NEW_STATUS_ID,
            batch_size=10,
        )
    finally:
        stop.set()
        saboteur.join(timeout=30)

    assert sandbox.admin.faults()["injected"]["error_500"] >= REPEAT_ATTEMPTS
    messaged = Counter(messaged_phones(sandbox))
    assert set(messaged) == set(phones)
    assert max(messaged.values()) == 1
    assert len(template_messages(api)) == len(phones)
    assert report.messages_sent + report.messages_already_sent == len(phones)
    assert report.messages_already_sent > 0


def test_rerun_of_finished_campaign(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    phones = write_contacts_file(tmp_path / "contacts.csv", 25)
    first = run_import(credentials, tmp_path / "contacts.csv", batch_size=10)
    second = run_import(credentials, tmp_path / "contacts.csv", batch_size=10)

    assert first.messages_sent == len(phones)
    assert second.campaign_id == first.campaign_id
    assert second.messages_sent == 0
    assert second.messages_already_sent == len(phones)
    assert second.contacts_created == 0
    assert second.contacts_existing == len(phones)
    assert len(template_messages(api)) == len(phones)


def test_retry_failed_sends_after_opt_in(
    sandbox: Any,
    credentials: RaslCredentials,
    api: httpx.Client,
    result_storage: Path,
    tmp_path: Path,
) -> None:
    phones = write_contacts_file(tmp_path / "contacts.csv", 5)
    opted_out = api.post(
        "/contacts",
        json={
            "firstname": "Opted",
            "lastname": "Out",
            "phone": phones[2],
            "type": "lead",
            "source_id": IMPORT_SOURCE_ID,
            "status_id": NEW_STATUS_ID,
        },
    )
    opted_out.raise_for_status()
    sandbox.admin.set_opt_out(opted_out.json()["data"]["id"])

    first = run_import(credentials, tmp_path / "contacts.csv")
    sandbox.admin.set_opt_out(opted_out.json()["data"]["id"], opted_out=False)
    plain_rerun = run_import(credentials, tmp_path / "contacts.csv")
    retried = run_import(credentials, tmp_path / "contacts.csv", retry_failed_sends=True)

    assert first.messages_sent == 4
    assert first.messages_failed == 1
    assert first.failed_sends[0].error_code == "CONTACT_OPTED_OUT"
    assert plain_rerun.messages_sent == 0
    assert plain_rerun.messages_failed == 1
    assert retried.messages_sent == 1
    assert retried.messages_already_sent == 4
    messaged = Counter(messaged_phones(sandbox))
    assert set(messaged) == set(phones)
    assert max(messaged.values()) == 1


class UnreadableStorage:
    """Ledger storage whose reads fail the way a network file system's can; writes succeed."""

    def __init__(self) -> None:
        self.written: dict[str, bytes] = {}

    def read_path(self, path: str) -> bytes:
        raise PermissionError(f"permission denied: {path}")

    def write_path(self, path: str, content: bytes) -> str:
        self.written[path] = content
        return path


def test_unreadable_ledger_sends_nothing(sandbox: Any, api: httpx.Client) -> None:
    client = RaslCredentials(api_token=sandbox.token, base_url=sandbox.base_url).get_client()
    storage = UnreadableStorage()
    ledger = SendLedger("unreadable-ledger", storage=storage)  # type: ignore[arg-type]
    sender = TemplateSender(client, ledger, template_name="welcome_offer", language="en")

    with pytest.raises(PermissionError):
        sender.send_one(Recipient(phone="+966500004001", parameters=["Sara"]))

    assert storage.written == {}
    assert template_messages(api) == []
