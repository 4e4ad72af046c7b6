"""One campaign in shards on two process workers, paced by one Prefect global concurrency limit.

Used by `bench/run.py` and `tests/test_scaleout.py`. The caller provides a running Prefect
server, with its API URL set in this process, and a sandbox. This module creates the work pool,
the `csv_import` deployment and the global concurrency limit, starts the workers, and runs
`sharded_campaign` in this process.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.scenarios import (
    SOURCE_ID,
    STATUS_ID,
    TASK_RUN_WAIT_SECONDS,
    TEMPLATE_FIELDS,
    TEMPLATE_LANGUAGE,
    TEMPLATE_NAME,
)
from bench.servers import QUIET_ENVIRONMENT, REPOSITORY_ROOT, process_workers, run_prefect_cli
from bench.windows import request_delta

SHARD_WAIT_SECONDS = 600.0
"""How long the parent flow waits for its shards."""


@dataclass
class ScaleoutRun:
    """The outcome of a sharded campaign and the sandbox requests it made.

    Attributes:
        report: The `ShardedCampaignReport` of the parent flow.
        requests: Requests during the run, `total` and one count per HTTP status.
        started: Unix time at which the parent flow was called.
        finished: Unix time at which it returned.
        sending_started: Unix time at which the first chunk task of any shard started, so
            the windows before it (workers starting their flow run processes) can be left out.
    """

    report: Any
    requests: dict[str, int]
    started: float
    finished: float
    sending_started: float


def worker_environment(api_url: str) -> dict[str, str]:
    """Return the environment of a worker: this process's Prefect server and result storage.

    The workers' flow runs must write results and ledger records where this process reads
    them, so the local storage path is passed on explicitly.
    """
    from prefect.settings import PREFECT_HOME, PREFECT_LOCAL_STORAGE_PATH

    return {
        **os.environ,
        **QUIET_ENVIRONMENT,
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(PREFECT_HOME.value()),
        "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_LOCAL_STORAGE_PATH.value()),
    }


def prepare_pool(
    pool_name: str, limit_name: str, limit: int, slot_decay_per_second: float, api_url: str
) -> str:
    """Create the process work pool, the global concurrency limit and the `csv_import` deployment.

    Returns:
        The deployment's name, `csv-import/NAME`.
    """
    from flows.csv_import import csv_import

    environment = worker_environment(api_url)
    run_prefect_cli(["work-pool", "create", pool_name, "--type", "process"], environment)
    run_prefect_cli(
        [
            "gcl",
            "create",
            limit_name,
            "--limit",
            str(limit),
            "--slot-decay-per-second",
            str(slot_decay_per_second),
        ],
        environment,
    )

    deployable = csv_import.from_source(
        source=str(REPOSITORY_ROOT), entrypoint="flows/csv_import.py:csv_import"
    )
    deployable.deploy(  # type: ignore[union-attr]
        name=pool_name, work_pool_name=pool_name, print_next_steps=False, ignore_warnings=True
    )
    return f"csv-import/{pool_name}"


def run_sharded_campaign(
    *,
    admin: Any,
    api_url: str,
    pool_name: str,
    deployment_name: str,
    credentials_block_name: str,
    source: Path,
    group_name: str,
    shard_count: int,
    log_directory: Path,
) -> ScaleoutRun:
    """Start `shard_count` workers and run `sharded_campaign` until every shard finished.

    Raises:
        RuntimeError: A shard did not complete (raised by the parent flow).
    """
    from flows.sharded_campaign import sharded_campaign
    from rasl_prefect import RaslCredentials

    credentials: RaslCredentials = RaslCredentials.load(credentials_block_name, _sync=True)  # type: ignore[call-arg, assignment]
    environment = worker_environment(api_url)

    with process_workers(pool_name, shard_count, environment, log_directory):
        before = admin.stats()
        started = time.time()
        report = sharded_campaign(
            source=str(source),
            credentials=credentials,
            group_name=group_name,
            template_name=TEMPLATE_NAME,
            language=TEMPLATE_LANGUAGE,
            template_fields=TEMPLATE_FIELDS,
            source_id=SOURCE_ID,
            status_id=STATUS_ID,
            shard_count=shard_count,
            deployment_name=deployment_name,
            timeout_seconds=SHARD_WAIT_SECONDS,
            poll_seconds=1.0,
        )
        finished = time.time()
        requests = request_delta(before, admin.stats())

    shard_run_ids = [shard.flow_run_id for shard in report.shards]
    return ScaleoutRun(
        report=report,
        requests=requests,
        started=started,
        finished=finished,
        sending_started=first_chunk_start(api_url, shard_run_ids),
    )


def first_chunk_start(
    api_url: str, flow_run_ids: list[str], max_seconds: float = TASK_RUN_WAIT_SECONDS
) -> float:
    """Return the Unix time at which the first chunk task of the given flow runs started.

    The server records task runs a little after they ran, so this polls for up to
    `max_seconds` until every flow run has a recorded chunk task.

    Raises:
        RuntimeError: Some flow run had no recorded chunk task in time.
    """
    body = {
        "flow_runs": {"id": {"any_": flow_run_ids}},
        "task_runs": {"name": {"like_": "chunk-"}},
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 200,
    }
    deadline = time.monotonic() + max_seconds
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while True:
            response = client.post("/task_runs/filter", json=body)
            response.raise_for_status()
            task_runs = [run for run in response.json() if run.get("start_time")]
            if {run["flow_run_id"] for run in task_runs} >= set(flow_run_ids):
                starts = [datetime.fromisoformat(run["start_time"]) for run in task_runs]
                return min(starts).timestamp()
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Prefect server recorded no chunk task for some of {flow_run_ids} "
                    f"within {max_seconds:.0f} s"
                )
            time.sleep(1.0)
