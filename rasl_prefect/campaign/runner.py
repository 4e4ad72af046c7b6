"""Running a campaign's chunk tasks with a bounded window, and its progress and report artifacts."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from uuid import UUID

from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.futures import PrefectFuture

from rasl_prefect.campaign.repeat import repeat_idempotent
from rasl_prefect.campaign.report import CsvImportReport
from rasl_prefect.campaign.tasks import (
    CampaignSettings,
    ChunkResult,
    ContactChunk,
    import_contact_chunk,
)
from rasl_prefect.client import RaslClient
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger

CHUNKS_IN_FLIGHT = 2
"""Chunk tasks running at once: one creating contacts while another sends."""


def find_or_create_group(client: RaslClient, name: str, *, create: bool = True) -> int | None:
    """Return the id of the group called `name`, creating it when missing and `create` is set.

    A create that got a 5xx response or no response is repeated after searching again, so a group
    that the lost request created is found instead of created twice.

    Returns:
        The group id, or None when the group does not exist and `create` is False.
    """

    def find_or_create() -> int | None:
        for group in client.iter_groups(search=name):
            if group.name == name and group.id is not None:
                return group.id

        if not create:
            return None

        group = client.create_group(name)
        get_logger().info("Created group %s (id %s)", name, group.id)
        return group.id

    return repeat_idempotent(find_or_create, description=f"Creating group {name!r}")


def run_chunks(
    chunks: Iterable[ContactChunk],
    credentials: RaslCredentials,
    settings: CampaignSettings,
    report: CsvImportReport,
    *,
    estimated_rows: int,
    batch_size: int,
    refresh: bool = False,
) -> None:
    """Submit one task run per chunk, at most `CHUNKS_IN_FLIGHT` at once, and count the results.

    Chunks are read lazily, so memory stays bounded by the chunks in flight whatever the file
    size. After a chunk reports that the plan's contact limit was reached, later chunks create
    no contacts, and only their contacts that already exist are grouped and messaged.

    Args:
        chunks: The campaign's chunks, usually from `iter_contact_chunks`.
        credentials: The RASL credentials.
        settings: The campaign settings.
        report: The report to add the chunk results to.
        estimated_rows: The file's approximate number of rows, for the progress artifact.
        batch_size: Contacts per chunk, for the progress artifact.
        refresh: Run chunks that finished in an earlier run again, so the ledger can retry
            sends that failed without effect.
    """
    chunk_task = import_contact_chunk.with_options(refresh_cache=refresh)
    expected_chunks = max(1, math.ceil(estimated_rows / batch_size))
    progress_id = create_progress_artifact(
        progress=0.0,
        key="csv-import-progress",
        description=f"Chunks of campaign {settings.campaign_id} that finished",
        _sync=True,  # type: ignore[call-arg]
    )

    in_flight: deque[PrefectFuture[ChunkResult]] = deque()
    finished = 0
    create_contacts = True

    def collect_oldest() -> None:
        nonlocal finished, create_contacts
        future = in_flight.popleft()
        result = future.result()
        if future.state.is_completed() and future.state.name == "Cached":
            result = result.as_replayed()
        add_chunk_result(report, result)
        if result.plan_limit_reached:
            create_contacts = False
        finished += 1
        _update_progress(progress_id, min(99.0, 100.0 * finished / expected_chunks))

    for chunk in chunks:
        if len(in_flight) >= CHUNKS_IN_FLIGHT:
            collect_oldest()
        in_flight.append(
            chunk_task.submit(credentials, chunk, settings, create_contacts=create_contacts)
        )

    while in_flight:
        collect_oldest()

    _update_progress(progress_id, 100.0)


def _update_progress(progress_id: object, percent: float) -> None:
    if isinstance(progress_id, UUID):
        update_progress_artifact(artifact_id=progress_id, progress=percent, _sync=True)  # type: ignore[call-arg]


def add_chunk_result(report: CsvImportReport, result: ChunkResult) -> None:
    """Add the counts and outcomes of one chunk to the report."""
    report.contacts_created += result.contacts_created
    report.contacts_existing += result.contacts_existing
    report.contacts_added_to_group += result.contacts_added_to_group
    report.contacts_failed += len(result.contacts_not_created)
    report.plan_limit_reached = report.plan_limit_reached or result.plan_limit_reached

    for row in result.contacts_not_created:
        report.add_problem_row(row)
    for outcome in result.outcomes:
        report.add_outcome(outcome)


def publish_report(report: CsvImportReport, key_prefix: str = "csv-import") -> None:
    """Create the table artifact of problems and the markdown summary of a campaign."""
    create_table_artifact(
        key=f"{key_prefix}-problems",
        table=report.problem_table(),
        description=f"Rejected rows and failed sends of campaign {report.campaign_id}",
    )
    create_markdown_artifact(
        key=f"{key_prefix}-summary",
        markdown=report.summary_markdown(),
        description=f"Summary of campaign {report.campaign_id}",
    )
