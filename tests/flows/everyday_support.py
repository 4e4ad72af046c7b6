"""Helpers of the everyday flow tests: a flow run in a thread, paused runs and artifacts."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import Artifact, FlowRun, StateType
from prefect.flow_runs import resume_flow_run

PAUSE_WAIT_SECONDS = 90.0
"""How long a test waits for a flow run to pause; the machine may be loaded."""


def start_in_thread(
    pool: ThreadPoolExecutor, function: Callable[..., Any], **kwargs: Any
) -> Future[Any]:
    """Call `function(**kwargs)` in a pool thread that uses this thread's Prefect settings.

    The test server's URL is a context-local setting, so the thread runs in a copy of the
    current context.
    """
    context = contextvars.copy_context()
    return pool.submit(lambda: context.run(function, **kwargs))


def wait_for_pause(flow_name: str, seen_state_ids: set[UUID], finished: Future[Any]) -> FlowRun:
    """Return the paused run of `flow_name` whose pause state was not seen before.

    Raises:
        AssertionError: No new pause appeared within `PAUSE_WAIT_SECONDS`, or the flow run
            ended first (its exception is raised instead, when it has one).
    """
    deadline = time.monotonic() + PAUSE_WAIT_SECONDS
    flow_filter = FlowFilter(name=FlowFilterName(any_=[flow_name]))
    run_filter = FlowRunFilter(
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
    )
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            if finished.done():
                finished.result()
                raise AssertionError(f"{flow_name} finished without pausing again")
            for run in client.read_flow_runs(flow_filter=flow_filter, flow_run_filter=run_filter):
                state = run.state
                keyset = state.state_details.run_input_keyset if state else None
                if state is not None and keyset and state.id not in seen_state_ids:
                    seen_state_ids.add(state.id)
                    return run
            time.sleep(0.5)
    raise AssertionError(f"{flow_name} did not pause within {PAUSE_WAIT_SECONDS} seconds")


def answer_pause(
    flow_name: str,
    seen_state_ids: set[UUID],
    finished: Future[Any],
    make_input: Callable[[], dict[str, Any]],
) -> FlowRun:
    """Wait for the next pause of `flow_name` and resume it with the input `make_input` builds.

    The input is built once the run has paused, so it can read what the run sent before.
    """
    run = wait_for_pause(flow_name, seen_state_ids, finished)
    run_input = make_input()
    for _ in range(20):
        try:
            resume_flow_run(run.id, run_input=run_input)
            return run
        except RuntimeError as error:
            # The paused state can be visible before the run has stored its input schema.
            if "schema not found" not in str(error):
                raise
            time.sleep(0.5)
    resume_flow_run(run.id, run_input=run_input)
    return run


def read_artifacts(flow_run_id: UUID) -> dict[str, Artifact]:
    """Return the artifacts a flow run created, by key (an unkeyed artifact by its id)."""
    artifact_filter = ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=artifact_filter)
    return {artifact.key or str(artifact.id): artifact for artifact in artifacts}


def run_flow(flow: Any, **parameters: Any) -> tuple[Any, UUID]:
    """Run a flow and return its result and its flow run id."""
    state = flow(**parameters, return_state=True)
    flow_run_id = state.state_details.flow_run_id
    assert flow_run_id is not None
    return state.result(), flow_run_id
