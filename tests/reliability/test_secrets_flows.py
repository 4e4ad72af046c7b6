"""A recognisable fake token leaks nowhere after every flow of `flows/` ran with it.

`tests/test_secrets.py` checks the tasks in one flow. This module runs the flows themselves in a
separate process (see `secret_flows.py`), some of them failing. It then searches what a user or
an attacker could read: the process's stdout and stderr, the Prefect API (flow and task runs
with their parameters and states, logs, artifacts, events, block documents, variables), the
result files and the Prefect database file. Logs must also never contain a full phone number.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from rasl_prefect import RaslCredentials
from tests.reliability.secret_flows import PHONE
from tests.reliability.support import write_campaign_file

FAKE_TOKEN = "rasl-flows-SECRET-4b81d2"
REVOKED_TOKEN = "rasl-flows-SECRET-4b81d2-revoked"
TOKEN_MARK = "SECRET-4b81d2"
"""Part of both tokens, so one search finds either."""

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 30
FIRST_NUMBER = 500_040_100
PROCESS_TIMEOUT_SECONDS = 400
LOG_WAIT_SECONDS = 30.0
MAX_PAGES = 40


SANDBOX_LOGGERS = ["", "rasl_prefect", "uvicorn", "uvicorn.error", "uvicorn.access"]
"""Loggers of the sandbox, which runs in the test process while the flows call it."""


class RecordCollector(logging.Handler):
    """A logging handler that keeps the formatted text of every record it receives."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


@dataclass
class FlowsRun:
    """What the flows process left behind, collected once for the module."""

    api_url: str
    storage: Path
    stdout: str
    stderr: str
    flow_run_ids: list[str]
    phones: list[str]
    sandbox_log: list[str]


def phone_patterns(phones: list[str]) -> list[re.Pattern[str]]:
    """Return patterns of each phone's full digits and of its national significant number."""
    patterns = []
    for phone in phones:
        digits = phone.lstrip("+")
        patterns.append(re.compile(rf"(?<!\d){digits}(?!\d)"))
        patterns.append(re.compile(rf"(?<!\d)0?{digits[3:]}(?!\d)"))
    return patterns


@pytest.fixture(scope="module")
def flows_run(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowsRun]:
    from rasl_prefect.sandbox import run_sandbox

    folder = tmp_path_factory.mktemp("secret-flows")
    storage = folder / "prefect-results"
    storage.mkdir()
    campaign = write_campaign_file(folder / "contacts.csv", CONTACTS, first_number=FIRST_NUMBER)
    with (folder / "contacts.csv").open("a", encoding="utf-8") as rows:
        rows.write("Bad,Row,12345,yes\n")

    collector = RecordCollector()
    for name in SANDBOX_LOGGERS:
        logging.getLogger(name).addHandler(collector)
    with run_sandbox(token=FAKE_TOKEN, rpm=100_000) as sandbox:
        suffix = str(int(time.time() * 1000))
        block_name = f"rasl-flows-secret-{suffix}"
        revoked_name = f"rasl-flows-revoked-{suffix}"
        RaslCredentials(api_token=FAKE_TOKEN, base_url=sandbox.base_url).save(block_name)
        RaslCredentials(api_token=REVOKED_TOKEN, base_url=sandbox.base_url).save(revoked_name)

        environment = dict(os.environ)
        environment.update(
            {
                "PREFECT_API_URL": prefect_server,
                "PREFECT_LOCAL_STORAGE_PATH": str(storage),
                "PREFECT_LOGGING_LEVEL": "DEBUG",
                "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
                "DO_NOT_TRACK": "1",
                "PYTHONPATH": str(REPO_ROOT),
                "RASL_SECRET_BLOCK": block_name,
                "RASL_REVOKED_BLOCK": revoked_name,
            }
        )
        completed = subprocess.run(
            [sys.executable, "-m", "tests.reliability.secret_flows", str(folder / "contacts.csv")],
            cwd=REPO_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_SECONDS,
        )
    for name in SANDBOX_LOGGERS:
        logging.getLogger(name).removeHandler(collector)

    assert completed.returncode == 0, completed.stderr[-5_000:]
    yield FlowsRun(
        api_url=prefect_server,
        storage=storage,
        stdout=completed.stdout,
        stderr=completed.stderr,
        flow_run_ids=json.loads(completed.stdout.strip().splitlines()[-1]),
        phones=[*campaign.phones, PHONE, "+966500040012"],
        sandbox_log=collector.lines,
    )


def post_json(api_url: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{api_url}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def read_logs(run: FlowsRun) -> list[dict[str, Any]]:
    """Read every log of the flow runs, 200 per page, at most 40 pages."""
    logs: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        body = {
            "logs": {"flow_run_id": {"any_": run.flow_run_ids}},
            "limit": 200,
            "offset": page * 200,
        }
        found = post_json(run.api_url, "/logs/filter", body)
        logs.extend(found)
        if len(found) < 200:
            break
    return logs


def test_every_flow_ran(flows_run: FlowsRun) -> None:
    assert len(flows_run.flow_run_ids) == 11
    assert "csv_import: COMPLETED" in flows_run.stdout
    assert "csv_import revoked: FAILED" in flows_run.stdout
    assert "account_usage_report revoked: FAILED" in flows_run.stdout


def test_no_token_in_output(flows_run: FlowsRun) -> None:
    assert TOKEN_MARK not in flows_run.stdout
    assert TOKEN_MARK not in flows_run.stderr


def test_no_token_in_sandbox_log(flows_run: FlowsRun) -> None:
    for line in flows_run.sandbox_log:
        assert TOKEN_MARK not in line


def test_no_phone_in_output_logs(flows_run: FlowsRun) -> None:
    log_lines = [
        line
        for line in (flows_run.stdout + flows_run.stderr).splitlines()
        if re.search(r"\| (DEBUG|INFO|WARNING|ERROR|CRITICAL) ", line)
    ]

    assert log_lines
    for pattern in phone_patterns(flows_run.phones):
        for line in log_lines:
            assert not pattern.search(line), line


def test_no_token_in_flow_runs(flows_run: FlowsRun) -> None:
    flow_runs = post_json(
        flows_run.api_url,
        "/flow_runs/filter",
        {"flow_runs": {"id": {"any_": flows_run.flow_run_ids}}},
    )

    assert len(flow_runs) == len(flows_run.flow_run_ids)
    for flow_run in flow_runs:
        assert TOKEN_MARK not in json.dumps(flow_run), flow_run["name"]
        assert flow_run["parameters"]["credentials"]["api_token"] == "**********"


def test_no_token_in_task_runs(flows_run: FlowsRun) -> None:
    task_runs = post_json(
        flows_run.api_url,
        "/task_runs/filter",
        {"flow_runs": {"id": {"any_": flows_run.flow_run_ids}}, "limit": 200},
    )

    assert task_runs
    for task_run in task_runs:
        assert TOKEN_MARK not in json.dumps(task_run), task_run["name"]


def test_no_token_or_phone_in_logs(flows_run: FlowsRun) -> None:
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    logs = read_logs(flows_run)
    while not any("Campaign" in log["message"] for log in logs) and time.monotonic() < deadline:
        time.sleep(0.5)
        logs = read_logs(flows_run)

    assert any("Campaign" in log["message"] for log in logs)
    for log in logs:
        assert TOKEN_MARK not in log["message"]
    for pattern in phone_patterns(flows_run.phones):
        for log in logs:
            assert not pattern.search(log["message"]), log["message"]


def test_no_token_in_artifacts(flows_run: FlowsRun) -> None:
    artifacts = post_json(
        flows_run.api_url,
        "/artifacts/filter",
        {"artifacts": {"flow_run_id": {"any_": flows_run.flow_run_ids}}},
    )

    assert artifacts
    for artifact in artifacts:
        assert TOKEN_MARK not in json.dumps(artifact), artifact["key"]


def test_no_token_in_events(flows_run: FlowsRun) -> None:
    resources = [f"prefect.flow-run.{run_id}" for run_id in flows_run.flow_run_ids]
    body = {
        "filter": {
            "occurred": {
                "since": "2000-01-01T00:00:00Z",
                "until": datetime.now(timezone.utc).isoformat(),
            },
            "any_resource": {"id": resources},
        },
        "limit": 50,
    }
    page = post_json(flows_run.api_url, "/events/filter", body)
    events = list(page["events"])
    for _ in range(MAX_PAGES):
        if not page.get("next_page"):
            break
        response = httpx.get(page["next_page"], timeout=30)
        response.raise_for_status()
        page = response.json()
        events.extend(page["events"])

    assert events
    for event in events:
        assert TOKEN_MARK not in json.dumps(event), event["event"]


def test_no_token_in_block_documents(flows_run: FlowsRun) -> None:
    documents = post_json(flows_run.api_url, "/block_documents/filter", {"limit": 200})

    assert any(document["name"].startswith("rasl-flows-secret-") for document in documents)
    for document in documents:
        assert TOKEN_MARK not in json.dumps(document), document["name"]


def test_no_token_in_variables(flows_run: FlowsRun) -> None:
    variables = post_json(flows_run.api_url, "/variables/filter", {"limit": 200})

    assert "rasl-secret-templates" in [variable["name"] for variable in variables]
    for variable in variables:
        assert TOKEN_MARK not in json.dumps(variable), variable["name"]


def test_no_token_in_result_files(flows_run: FlowsRun) -> None:
    files = [path for path in flows_run.storage.rglob("*") if path.is_file()]

    assert files
    for path in files:
        assert TOKEN_MARK.encode() not in path.read_bytes(), path.name


def test_no_token_in_database_file(flows_run: FlowsRun) -> None:
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    url = str(PREFECT_SERVER_DATABASE_CONNECTION_URL.value())
    database = Path(url.split(":///", 1)[1])
    files = [path for path in database.parent.glob(database.name + "*") if path.is_file()]

    assert database in files
    for path in files:
        assert TOKEN_MARK.encode() not in path.read_bytes(), path.name
