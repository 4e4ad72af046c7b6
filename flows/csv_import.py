"""Import a contacts export into RASL, group the contacts and send them a template, exactly once.

Run it on the local sandbox with `python flows/demo_csv_import.py`, which imports the demo
contacts file and checks the report against the sandbox, or deploy it from `prefect.yaml`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from prefect import flow
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import (
    IMPORT_SCOPES,
    CampaignSettings,
    CsvImportReport,
    check_scopes,
    check_template_fields,
    derive_campaign_id,
    file_columns,
    find_approved_template,
    find_or_create_group,
    fingerprint_file,
    iter_contact_chunks,
    publish_report,
    run_chunks,
)
from rasl_prefect.campaign.ledger import check_campaign_id
from rasl_prefect.campaign.planning import check_shard
from rasl_prefect.campaign.runner import CHUNKS_IN_FLIGHT
from rasl_prefect.importing import open_contact_rows
from rasl_prefect.logging import get_logger


@flow(
    name="csv-import",
    description="Import a contacts export, add the contacts to a group and send them a template.",
    task_runner=ThreadPoolTaskRunner(max_workers=CHUNKS_IN_FLIGHT),
    persist_result=True,
    result_serializer="json",
)
def csv_import(
    source: Annotated[str, Field(min_length=1)],
    credentials: RaslCredentials,
    group_name: Annotated[str, Field(min_length=1, max_length=255)],
    template_name: Annotated[str, Field(min_length=1)],
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
    dry_run: bool = False,
    encoding: str | None = None,
    retry_failed_sends: bool = False,
    shard_index: Annotated[int, Field(ge=0)] = 0,
    shard_count: Annotated[int, Field(ge=1)] = 1,
) -> CsvImportReport:
    """Import a contacts export into RASL, group the contacts and message each one once.

    Args:
        source: The contacts file: a local path or an fsspec URL (`s3://`, `gs://`, `https://`).
        credentials: The RASL credentials block of a token with contacts, groups, templates
            and messages scopes.
        group_name: The group the contacts join; it is created when missing.
        template_name: The APPROVED template sent to each contact.
        language: The template language code, such as `en` or `ar`.
        template_fields: The template's body parameters in order: column names of the file,
            or RASL merge fields such as `@{contact_first_name}`.
        column_map: Overrides of the detected columns, such as `{"phone": "Mobile"}`.
        default_region: The ISO country code, such as `SA`, for numbers written without one.
        source_id: The RASL contact source of new contacts (see the RASL dashboard).
        status_id: The RASL contact status of new contacts (see the RASL dashboard).
        contact_type: The type of new contacts.
        consent_column: The column that records whether a contact may be messaged; only rows
            whose value means yes are messaged. A detected WhatsApp consent column counts too.
        campaign_id: The campaign's id; each contact gets at most one message per campaign.
            Defaults to an id derived from the file's content, the template and the group.
        batch_size: Contacts per batch request and per task run, at most 100.
        dry_run: Run every check and count the rows without creating or sending anything.
        encoding: The file's encoding, overriding detection (`utf-8`, `cp1256`, `utf-16`...).
        retry_failed_sends: Send again the messages of this campaign that failed in a way
            that provably had no effect, such as an opted-out contact or a rate limit.
        shard_index: The shard this run handles, from 0 to `shard_count - 1`: the rows whose
            phone hashes to it. Shard 0 also reports the rejected rows.
        shard_count: The number of flow runs the campaign is split into (see
            `flows/sharded_campaign.py`). Every shard must get the same `campaign_id`, or the
            same file, template and group, so that they share one send ledger.

    Returns:
        The counts, the rejected rows and the failed sends.
    """
    logger = get_logger()
    fields = list(template_fields or [])

    check_template_fields(fields)
    check_shard(shard_index, shard_count)
    check_scopes(credentials, IMPORT_SCOPES)
    if not dry_run and (source_id is None or status_id is None):
        raise ValueError(
            "source_id and status_id are required to create contacts: read them from the "
            "RASL dashboard or from an existing contact, or set dry_run to check the file only."
        )

    file_hash, line_breaks = fingerprint_file(source)
    campaign = campaign_id or derive_campaign_id(
        file_hash, template_name, language, group_name, *fields
    )
    check_campaign_id(campaign)

    reader = open_contact_rows(
        source,
        encoding=encoding,
        column_map=column_map,
        default_region=default_region,
        template_fields=file_columns(fields),
        consent_column=consent_column,
    )
    with reader:
        report = CsvImportReport(
            campaign_id=campaign,
            dry_run=dry_run,
            source=reader.source,
            encoding=reader.encoding,
            delimiter=reader.delimiter,
            column_mapping=reader.columns.as_dict(),
        )
        logger.info(
            "Campaign %s, shard %d of %d: detected columns %s",
            campaign,
            shard_index + 1,
            shard_count,
            report.column_mapping,
        )

        client = credentials.get_client()
        find_approved_template(client, template_name, language, len(fields))
        group_id = find_or_create_group(client, group_name, create=not dry_run)

        settings = CampaignSettings(
            campaign_id=campaign,
            template_name=template_name,
            language=language,
            group_id=group_id,
            source_id=source_id,
            status_id=status_id,
            contact_type=contact_type,
        )
        report.group_id = group_id
        if reader.columns.consent is None:
            logger.info("The file has no consent column: every accepted row will be messaged")

        chunks = iter_contact_chunks(
            reader,
            report,
            template_fields=fields,
            batch_size=batch_size,
            consent_required=reader.columns.consent is not None,
            shard_index=shard_index,
            shard_count=shard_count,
        )
        if dry_run:
            for chunk in chunks:
                report.count_planned_messages(chunk)
        else:
            run_chunks(
                chunks,
                credentials,
                settings,
                report,
                estimated_rows=line_breaks // shard_count,
                batch_size=batch_size,
                refresh=retry_failed_sends,
            )

    publish_report(report)
    logger.info(
        "Campaign %s: %d rows read, %d rejected, %d duplicates, %d messages sent, "
        "%d already sent, %d failed, %d unknown",
        campaign,
        report.rows_read,
        report.rows_rejected,
        report.duplicate_rows,
        report.messages_sent,
        report.messages_already_sent,
        report.messages_failed,
        report.messages_unknown,
    )
    return report
