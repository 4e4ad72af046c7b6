"""A recognisable fake token must not leak into anything a flow run leaves behind.

One flow run calls several tasks, some of which fail, with credentials blocks saved on the
test Prefect server. Each test then searches one place for the token: log records, exception
texts, flow and task run records, logs, artifacts and events on the server, and stored results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.settings import get_current_settings
from prefect.states import State

from rasl_prefect import RaslAuthenticationError, RaslCredentials
from rasl_prefect.sandbox import run_sandbox
from rasl_prefect.tasks import (
    get_account_info,
    get_contact,
    get_plan_limits,
    list_contacts,
    send_otp,
    send_text_message,
    verify_otp,
)

FAKE_TOKEN = "rasl-test-SECRET-7f3a9c"
WRONG_TOKEN = "rasl-test-SECRET-7f3a9c-revoked"
TOKEN_MARK = "SECRET-7f3a9c"
"""Part of both tokens, so one search finds either."""

PHONE = "+966500000011"
WATCHED_LOGGERS = ["", "prefect", "rasl_prefect", "httpx", "httpcore"]
SERVER_WAIT_SECONDS = 30.0


@dataclass
class SecretRun:
    """What the flow run left behind, collected once for every test in this module."""

    api_url: str
    flow_run_id: str
    flow_state: State[Any]
    task_states: list[State[Any]]
    log_records: list[logging.LogRecord] = field(default_factory=list)


class RecordCollector(logging.Handler):
    """A logging handler that keeps every record it receives."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def secret_sandbox() -> Iterator[Any]:
    with run_sandbox(token=FAKE_TOKEN, rpm=100_000) as sandbox:
        yield sandbox


@flow(name="exercise-rasl-tasks")
def exercise_tasks(credentials: RaslCredentials, revoked: RaslCredentials) -> list[State[Any]]:
    account = get_account_info(credentials)
    sent = send_text_message(credentials, phone=PHONE, message="Your order shipped.")
    send_otp(credentials, phone=PHONE, template_name="otp_login", code="482913")
    contacts = list_contacts(credentials)
    summary = {"account": account.name, "message": sent.message_id, "contacts": len(contacts.items)}
    create_table_artifact(table=[summary], key="rasl-secret-check")

    failed_states = [
        get_contact(credentials, contact_id=999_999, return_state=True),
        verify_otp(credentials, phone=PHONE, code="000000", return_state=True),
        get_account_info(revoked, return_state=True),
        send_text_message(credentials, phone="12", message="Too short", return_state=True),
    ]

    # An unhandled authentication failure makes the whole flow run fail.
    get_plan_limits(revoked)
    return failed_states


@pytest.fixture(scope="module")
def secret_run(prefect_server: str, secret_sandbox: Any) -> Iterator[SecretRun]:
    suffix = str(int(time.time() * 1000))
    RaslCredentials(api_token=FAKE_TOKEN, base_url=secret_sandbox.base_url).save(
        f"rasl-secret-{suffix}"
    )
    RaslCredentials(api_token=WRONG_TOKEN, base_url=secret_sandbox.base_url).save(
        f"rasl-revoked-{suffix}"
    )
    credentials = RaslCredentials.load(f"rasl-secret-{suffix}")
    revoked = RaslCredentials.load(f"rasl-revoked-{suffix}")

    collector = RecordCollector()
    previous_levels = {}
    for name in WATCHED_LOGGERS:
        logger = logging.getLogger(name)
        previous_levels[name] = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(collector)
    try:
        flow_state = exercise_tasks(credentials, revoked, return_state=True)
    finally:
        for name in WATCHED_LOGGERS:
            logger = logging.getLogger(name)
            logger.removeHandler(collector)
            logger.setLevel(previous_levels[name])

    flow_run_id = str(flow_state.state_details.flow_run_id)
    yield SecretRun(
        api_url=prefect_server,
        flow_run_id=flow_run_id,
        flow_state=flow_state,
        task_states=read_failed_task_states(flow_run_id),
        log_records=collector.records,
    )


def read_failed_task_states(flow_run_id: str) -> list[State[Any]]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return [run.state for run in task_runs if run.state is not None and run.state.is_failed()]


def post_json(api_url: str, path: str, body: dict[str, Any]) -> Any:
    response = httpx.post(f"{api_url}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def wait_for(read: Any, ready: Any) -> Any:
    """Read a server resource until `ready(result)` or the bounded wait ends."""
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    result = read()
    while not ready(result) and time.monotonic() < deadline:
        time.sleep(0.5)
        result = read()
    return result


def test_flow_run_failed_as_planned(secret_run: SecretRun) -> None:
    error = secret_run.flow_state.result(raise_on_failure=False)

    assert secret_run.flow_state.is_failed()
    assert isinstance(error, RaslAuthenticationError)
    assert len(secret_run.task_states) == 5


def test_no_token_in_log_records(secret_run: SecretRun) -> None:
    assert secret_run.log_records
    for record in secret_run.log_records:
        assert TOKEN_MARK not in record.getMessage(), record.name
        assert TOKEN_MARK not in logging.Formatter().format(record), record.name


def test_no_token_in_exceptions(secret_run: SecretRun) -> None:
    states = [*secret_run.task_states, secret_run.flow_state]
    for state in states:
        error = state.result(raise_on_failure=False)
        assert isinstance(error, BaseException)
        assert TOKEN_MARK not in str(error)
        assert TOKEN_MARK not in repr(error)
        assert TOKEN_MARK not in (state.message or "")


def test_flow_parameters_mask_token(secret_run: SecretRun) -> None:
    response = httpx.get(f"{secret_run.api_url}/flow_runs/{secret_run.flow_run_id}", timeout=30)
    response.raise_for_status()

    assert TOKEN_MARK not in response.text
    assert response.json()["parameters"]["credentials"]["api_token"] == "**********"


def test_no_token_in_task_runs(secret_run: SecretRun) -> None:
    task_runs = post_json(
        secret_run.api_url,
        "/task_runs/filter",
        {"flow_runs": {"id": {"any_": [secret_run.flow_run_id]}}},
    )

    assert len(task_runs) >= 9
    for task_run in task_runs:
        assert TOKEN_MARK not in str(task_run), task_run["name"]


def test_no_token_in_server_logs(secret_run: SecretRun) -> None:
    def read_logs() -> list[dict[str, Any]]:
        body = {"logs": {"flow_run_id": {"any_": [secret_run.flow_run_id]}}, "limit": 200}
        return list(post_json(secret_run.api_url, "/logs/filter", body))

    logs = wait_for(read_logs, lambda found: any("Read account" in log["message"] for log in found))

    assert any("Read account" in log["message"] for log in logs)
    for log in logs:
        assert TOKEN_MARK not in log["message"]


def test_no_token_in_artifacts(secret_run: SecretRun) -> None:
    artifacts = post_json(
        secret_run.api_url,
        "/artifacts/filter",
        {"artifacts": {"flow_run_id": {"any_": [secret_run.flow_run_id]}}},
    )

    assert "rasl-secret-check" in [artifact["key"] for artifact in artifacts]
    for artifact in artifacts:
        assert TOKEN_MARK not in str(artifact), artifact["key"]


def test_no_token_in_events(secret_run: SecretRun) -> None:
    flow_run_resource = f"prefect.flow-run.{secret_run.flow_run_id}"

    def read_events() -> list[dict[str, Any]]:
        body = {
            "filter": {
                "occurred": {"since": "2000-01-01T00:00:00Z", "until": now_iso()},
                "any_resource": {"id": [flow_run_resource]},
            },
            "limit": 50,
        }
        page = post_json(secret_run.api_url, "/events/filter", body)
        events = list(page["events"])
        # At most 20 more pages of 50 events, so a paging fault cannot loop forever.
        for _ in range(20):
            if not page.get("next_page"):
                break
            response = httpx.get(page["next_page"], timeout=30)
            response.raise_for_status()
            page = response.json()
            events.extend(page["events"])
        return events

    events = wait_for(
        read_events,
        lambda found: any(event["event"] == "prefect.flow-run.Failed" for event in found),
    )

    assert any(event["event"] == "prefect.flow-run.Failed" for event in events)
    for event in events:
        assert TOKEN_MARK not in str(event), event["event"]


def test_no_token_in_results(secret_run: SecretRun) -> None:
    storage = Path(get_current_settings().results.local_storage_path)
    files = [path for path in storage.rglob("*") if path.is_file()]

    assert files, f"no stored results under {storage}"
    for path in files:
        assert TOKEN_MARK.encode() not in path.read_bytes(), path.name


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()
