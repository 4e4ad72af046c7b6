"""Split one large campaign into several `csv_import` flow runs that workers run in parallel.

The parent flow checks the template, creates the group once, fixes one campaign id, and starts
one run of the `csv_import` deployment per shard with `run_deployment`. Each shard keeps the rows
whose E.164 phone hashes to its index, so a phone always lands in the same shard, and all shards
write to one send ledger because they share the campaign id.

Scaling out does not raise the token's rate limit, so the shards share it through a Prefect
global concurrency limit named in the credentials block (`concurrency_limit_name`). The workers
also need shared result storage, so that the send ledger is one ledger. `docs/scaling.md` has
the commands.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal
from uuid import UUID

from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.context import FlowRunContext
from prefect.deployments import run_deployment
from prefect.exceptions import MissingResult
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import (
    IMPORT_SCOPES,
    CsvImportReport,
    check_scopes,
    check_template_fields,
    derive_campaign_id,
    find_approved_template,
    find_or_create_group,
    fingerprint_file,
)
from rasl_prefect.campaign.planning import check_shard
from rasl_prefect.logging import get_logger

DEFAULT_DEPLOYMENT = "csv-import/csv-import"
"""The `csv_import` deployment, as `flow name/deployment name`."""

REPORT_COUNTS = (
    "rows_read",
    "rows_rejected",
    "duplicate_rows",
    "contacts_created",
    "contacts_existing",
    "messages_sent",
    "messages_already_sent",
    "messages_failed",
    "messages_unknown",
)
"""The report counts that the parent adds up over its shards."""


class ShardRun(BaseModel):
    """One shard's flow run and, when its result storage is readable here, its report."""

    shard_index: int = Field(description="The shard, from 0.")
    flow_run_id: str = Field(description="The shard's `csv_import` flow run.")
    state: str = Field(description="The flow run's final state name, such as `Completed`.")
    report: CsvImportReport | None = Field(
        default=None, description="The shard's report; None when its result was not readable."
    )


class ShardedCampaignReport(BaseModel):
    """The outcome of every shard of one campaign, with the added-up counts."""

    campaign_id: str
    group_id: int | None = None
    shards: list[ShardRun] = Field(default_factory=list)
    totals: dict[str, int] = Field(
        default_factory=dict, description="Report counts added up over the readable reports."
    )


def credentials_reference(credentials: RaslCredentials) -> dict[str, Any]:
    """Return the deployment parameter that points a child run at the saved credentials block.

    A block passed as a plain parameter would be serialised with its token masked, so the
    child gets a reference to the saved block document instead.

    Raises:
        ValueError: The block was never saved, so no child run can load it.
    """
    block_document_id = getattr(credentials, "_block_document_id", None)
    if block_document_id is None:
        raise ValueError(
            "credentials is not a saved block: save it with `RaslCredentials(...).save(NAME)` "
            "and pass `RaslCredentials.load(NAME)`, so the shard runs can load it."
        )
    return {"$ref": {"block_document_id": str(block_document_id)}}


@flow(
    name="sharded-campaign",
    description="Split a contacts campaign into csv-import flow runs by a hash of each phone.",
)
def sharded_campaign(
    source: Annotated[str, Field(min_length=1)],
    credentials: RaslCredentials,
    group_name: Annotated[str, Field(min_length=1, max_length=255)],
    template_name: Annotated[str, Field(min_length=1)],
    shard_count: Annotated[int, Field(ge=1, le=64)] = 2,
    deployment_name: str = DEFAULT_DEPLOYMENT,
    language: Annotated[str, Field(min_length=2, max_length=10)] = "en",
    template_fields: list[str] | None = None,
    column_map: dict[str, str] | None = None,
    default_region: Annotated[str | None, Field(min_length=2, max_length=2)] = None,
    source_id: int | None = None,
    status_id: int | None = None,
    contact_type: Literal["lead", "customer", "guest"] = "lead",
    consent_column: str | None = None,
    campaign_id: str | None = None,
    batch_size: Annotated[int, Field(ge=1, le=100)] = 100,
    encoding: str | None = None,
    retry_failed_sends: bool = False,
    timeout_seconds: Annotated[float, Field(gt=0)] = 6 * 3600.0,
    poll_seconds: Annotated[float, Field(gt=0)] = 5.0,
) -> ShardedCampaignReport:
    """Run one campaign as `shard_count` runs of the `csv_import` deployment and wait for them.

    The parameters shared with `csv_import` mean the same there. The file must be readable at
    `source` from every worker, so use a shared path or an fsspec URL such as `s3://...`.

    Args:
        source: The contacts file: a path every worker can read, or an fsspec URL.
        credentials: A saved RASL credentials block; the shard runs load it by reference.
        group_name: The group the contacts join; the parent creates it once, before the shards.
        template_name: The APPROVED template sent to each contact.
        shard_count: How many `csv_import` flow runs to start.
        deployment_name: The `csv_import` deployment, as `flow name/deployment name`.
        language: The template language code.
        template_fields: The template's body parameters in order.
        column_map: Overrides of the detected columns.
        default_region: The ISO country code for numbers written without one.
        source_id: The RASL contact source of new contacts.
        status_id: The RASL contact status of new contacts.
        contact_type: The type of new contacts.
        consent_column: The column that records whether a contact may be messaged.
        campaign_id: The campaign's id; defaults to the id `csv_import` would derive.
        batch_size: Contacts per batch request and per task run.
        encoding: The file's encoding, overriding detection.
        retry_failed_sends: Send again the messages of this campaign that failed without
            effect, as `csv_import` does; use it when running a failed campaign again.
        timeout_seconds: How long to wait for all shards before failing.
        poll_seconds: How often to read the shards' states.

    Returns:
        The campaign id, every shard's final state and report, and the added-up counts.

    Raises:
        RuntimeError: A shard did not complete, or the shards did not finish in time.
    """
    logger = get_logger()
    fields = list(template_fields or [])

    check_template_fields(fields)
    check_shard(0, shard_count)
    check_scopes(credentials, IMPORT_SCOPES)
    reference = credentials_reference(credentials)

    file_hash, _ = fingerprint_file(source)
    campaign = campaign_id or derive_campaign_id(
        file_hash, template_name, language, group_name, *fields
    )

    # Shards that each looked the group up at once could each create it, so it is created here.
    client = credentials.get_client()
    find_approved_template(client, template_name, language, len(fields))
    group_id = find_or_create_group(client, group_name, create=True)

    shared_parameters: dict[str, Any] = {
        "source": source,
        "credentials": reference,
        "group_name": group_name,
        "template_name": template_name,
        "language": language,
        "template_fields": fields,
        "column_map": column_map,
        "default_region": default_region,
        "source_id": source_id,
        "status_id": status_id,
        "contact_type": contact_type,
        "consent_column": consent_column,
        "campaign_id": campaign,
        "batch_size": batch_size,
        "encoding": encoding,
        "retry_failed_sends": retry_failed_sends,
        "shard_count": shard_count,
    }
    parent_id = _current_flow_run_id()

    flow_run_ids: list[UUID] = []
    for shard_index in range(shard_count):
        child: FlowRun = run_deployment(  # type: ignore[assignment]
            deployment_name,
            parameters={**shared_parameters, "shard_index": shard_index},
            flow_run_name=f"{campaign}-shard-{shard_index + 1}-of-{shard_count}",
            # A retried parent finds the shards it started instead of starting them again.
            idempotency_key=f"{parent_id}-shard-{shard_index}-of-{shard_count}",
            timeout=0,
        )
        flow_run_ids.append(child.id)
        logger.info(
            "Campaign %s: started shard %d of %d as flow run %s",
            campaign,
            shard_index + 1,
            shard_count,
            child.id,
        )

    finished = wait_for_flow_runs(flow_run_ids, timeout_seconds, poll_seconds)
    report = ShardedCampaignReport(campaign_id=campaign, group_id=group_id)
    for shard_index, flow_run in enumerate(finished):
        report.shards.append(_shard_run(shard_index, flow_run))
    report.totals = add_up_reports(report.shards)

    failed = [shard for shard in report.shards if shard.state != "Completed"]
    logger.info(
        "Campaign %s: %d of %d shards completed, totals %s",
        campaign,
        shard_count - len(failed),
        shard_count,
        report.totals,
    )
    if failed:
        listed = ", ".join(
            f"shard {s.shard_index} ({s.state}, run {s.flow_run_id})" for s in failed
        )
        raise RuntimeError(
            f"Campaign {campaign}: {len(failed)} of {shard_count} shards did not complete: "
            f"{listed}. Read their logs, then run this flow again with the same campaign_id: "
            "the send ledger skips the messages that were sent."
        )
    return report


def wait_for_flow_runs(
    flow_run_ids: list[UUID], timeout_seconds: float, poll_seconds: float
) -> list[FlowRun]:
    """Poll the flow runs until each is in a final state, and return them in the same order.

    Raises:
        RuntimeError: Some runs were not final after `timeout_seconds`.
    """
    deadline = time.monotonic() + timeout_seconds
    finished: dict[UUID, FlowRun] = {}

    with get_client(sync_client=True) as client:
        while True:
            for flow_run_id in flow_run_ids:
                if flow_run_id in finished:
                    continue
                flow_run = client.read_flow_run(flow_run_id)
                if flow_run.state is not None and flow_run.state.is_final():
                    finished[flow_run_id] = flow_run

            if len(finished) == len(flow_run_ids):
                return [finished[flow_run_id] for flow_run_id in flow_run_ids]
            if time.monotonic() > deadline:
                waiting = [str(i) for i in flow_run_ids if i not in finished]
                raise RuntimeError(
                    f"{len(waiting)} shard flow runs did not finish within {timeout_seconds:.0f} "
                    f"seconds: {', '.join(waiting)}. Check that a worker polls their work pool."
                )
            time.sleep(poll_seconds)


def _shard_run(shard_index: int, flow_run: FlowRun) -> ShardRun:
    state = flow_run.state
    shard = ShardRun(
        shard_index=shard_index,
        flow_run_id=str(flow_run.id),
        state=state.name if state is not None and state.name else "Unknown",
    )
    if state is None or not state.is_completed():
        return shard

    try:
        result = state.result(raise_on_failure=False)
    except (MissingResult, OSError, ValueError) as error:
        # The shard ran on a worker whose result storage this process cannot read.
        get_logger().warning(
            "Shard %d: report of flow run %s is not readable here: %s",
            shard_index,
            flow_run.id,
            error,
        )
        return shard

    if isinstance(result, CsvImportReport):
        shard.report = result
    elif isinstance(result, dict):
        shard.report = CsvImportReport.model_validate(result)
    return shard


def add_up_reports(shards: list[ShardRun]) -> dict[str, int]:
    """Add up the counts of the shards' readable reports."""
    totals = dict.fromkeys(REPORT_COUNTS, 0)
    for shard in shards:
        if shard.report is None:
            continue
        for name in REPORT_COUNTS:
            totals[name] += getattr(shard.report, name)
    return totals


def _current_flow_run_id() -> str:
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return "no-flow-run"
    return str(context.flow_run.id)
