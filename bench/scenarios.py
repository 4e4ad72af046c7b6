"""The benchmark's measurements, each bounded in requests and in time, all against 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench.contacts import FIRST_NAMES, phone_for_row
from bench.windows import request_delta

TEMPLATE_NAME = "welcome_offer"
TEMPLATE_LANGUAGE = "en"
TEMPLATE_FIELDS = ["@{contact_first_name}"]
SOURCE_ID = 1
STATUS_ID = 1

TASK_RUN_WAIT_SECONDS = 90.0
"""How long to wait for the Prefect server to record a campaign's task runs."""


def template_body(row: int, offset: int) -> dict[str, Any]:
    """Return a Send Template request body for a generated row, as a campaign would send it."""
    return {
        "phone": phone_for_row(row, offset),
        "template_name": TEMPLATE_NAME,
        "language": TEMPLATE_LANGUAGE,
        "field_1": FIRST_NAMES[row % len(FIRST_NAMES)],
    }


def measure_keepalive_rate(base_url: str, token: str, requests: int, max_seconds: float) -> float:
    """Send Send Template requests one after another on one keep-alive client; return requests/s.

    Raises:
        RuntimeError: The sandbox returned an error response.
    """
    headers = {"Authorization": f"Bearer {token}"}
    body = template_body(0, offset=9_000_000)
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        # The first request creates the contact and its chat; the loop measures the steady path.
        client.post("/messages/template", json=body).raise_for_status()

        sent = 0
        started = time.perf_counter()
        deadline = started + max_seconds
        while sent < requests and time.perf_counter() < deadline:
            response = client.post("/messages/template", json=body)
            if response.status_code != 201:
                raise RuntimeError(
                    f"Send Template failed with HTTP {response.status_code}: {response.text[:200]}"
                )
            sent += 1
        return sent / (time.perf_counter() - started)


def measure_raw_httpx_rate(
    base_url: str, token: str, rows: int, offset: int, concurrency: int, max_seconds: float
) -> float:
    """Send one template per generated row with a plain `httpx.AsyncClient`; return contacts/s.

    This is the floor a campaign tool is compared with: no contacts file, no group, no ledger,
    no Prefect, only `concurrency` requests in flight on one client.
    """

    async def send_all() -> tuple[int, float]:
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for row in range(rows):
            queue.put_nowait(row)
        sent = 0
        deadline = time.perf_counter() + max_seconds

        async with httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=10, limits=limits
        ) as client:

            async def worker() -> None:
                nonlocal sent
                while not queue.empty() and time.perf_counter() < deadline:
                    row = queue.get_nowait()
                    response = await client.post(
                        "/messages/template", json=template_body(row, offset)
                    )
                    if response.status_code != 201:
                        raise RuntimeError(
                            f"Send Template failed with HTTP {response.status_code}: "
                            f"{response.text[:200]}"
                        )
                    sent += 1

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return sent, time.perf_counter() - started

    sent, seconds = asyncio.run(send_all())
    return sent / seconds


@dataclass
class CampaignRun:
    """One `csv_import` run: its report, wall time, flow run id and the requests it made."""

    report: Any
    seconds: float
    flow_run_id: UUID
    requests: dict[str, int]
    started: float
    finished: float


def run_campaign(admin: Any, credentials: Any, source: Path, group_name: str) -> CampaignRun:
    """Run `csv_import` in this process on `source` and count the sandbox requests it made.

    Raises:
        RuntimeError: The flow run did not complete.
    """
    from flows.csv_import import csv_import

    before = admin.stats()
    started = time.time()
    wall_started = time.perf_counter()
    state = csv_import(
        source=str(source),
        credentials=credentials,
        group_name=group_name,
        template_name=TEMPLATE_NAME,
        language=TEMPLATE_LANGUAGE,
        template_fields=TEMPLATE_FIELDS,
        source_id=SOURCE_ID,
        status_id=STATUS_ID,
        return_state=True,
    )
    seconds = time.perf_counter() - wall_started
    finished = time.time()
    if not state.is_completed():
        raise RuntimeError(f"csv_import ended in state {state.name}: {state.message}")

    report = state.result()
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    return CampaignRun(
        report=report,
        seconds=seconds,
        flow_run_id=flow_run_id,
        requests=request_delta(before, admin.stats()),
        started=started,
        finished=finished,
    )


def count_task_runs(
    api_url: str, flow_run_id: UUID, expected: int, max_seconds: float = TASK_RUN_WAIT_SECONDS
) -> int:
    """Return the task runs the Prefect server recorded for a flow run.

    The server records task runs from events, a little after they ran, so this polls
    `POST /task_runs/count` until `expected` runs appear or `max_seconds` pass, and returns
    the last count.
    """
    body = {"flow_runs": {"id": {"any_": [str(flow_run_id)]}}}
    deadline = time.monotonic() + max_seconds
    count = 0
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while time.monotonic() < deadline:
            response = client.post("/task_runs/count", json=body)
            response.raise_for_status()
            count = int(response.json())
            if count >= expected:
                return count
            time.sleep(1.0)
    return count


def measure_task_per_message_rate(credentials: Any, rows: int, offset: int) -> float:
    """Send one template per row with one Prefect task run per message; return contacts/s.

    The naive design a campaign tool avoids: each message pays a task run's orchestration.
    """
    from prefect import flow, task
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(name="send-one-template")
    def send_one(row: int) -> str | None:
        body = template_body(row, offset)
        sent = credentials.get_client().send_template_message(
            phone=body["phone"],
            template_name=TEMPLATE_NAME,
            language=TEMPLATE_LANGUAGE,
            body=[body["field_1"]],
        )
        return sent.message_id

    @flow(name="task-per-message", task_runner=ThreadPoolTaskRunner(max_workers=8))  # type: ignore[arg-type]
    def task_per_message() -> int:
        futures = send_one.map(list(range(rows)))
        return sum(1 for message_id in futures.result() if message_id is not None)

    started = time.perf_counter()
    sent = task_per_message()
    return sent / (time.perf_counter() - started)


def measure_contact_file_scan(path: Path) -> dict[str, float]:
    """Dry-run the contact file reader over `path` in a fresh process; return its figures.

    The child process only imports the reader, so its peak RSS is the reading path's own.

    Raises:
        RuntimeError: The child process failed.
    """
    script = Path(__file__).resolve().parent / "scan_contacts.py"
    completed = subprocess.run(
        [sys.executable, str(script), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"scan_contacts.py failed: {completed.stderr[-2000:]}")
    figures: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return figures


def measure_rate_limit_slots(limit_name: str, slots: int, max_seconds: float) -> float:
    """Take slots of a global concurrency limit one by one, as the RASL client does; return slots/s.

    Every RASL request of a client with `concurrency_limit_name` first takes one slot, so
    this rate caps the requests per second of one process.
    """
    from prefect.concurrency.sync import rate_limit

    rate_limit(limit_name, strict=True)

    taken = 0
    started = time.perf_counter()
    deadline = started + max_seconds
    while taken < slots and time.perf_counter() < deadline:
        rate_limit(limit_name, strict=True)
        taken += 1
    return taken / (time.perf_counter() - started)
