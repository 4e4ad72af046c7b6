"""Sharding a campaign by phone, and two Prefect workers sharing one token's rate limit."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from bench.contacts import phone_for_row, write_contacts_csv
from flows.sharded_campaign import credentials_reference
from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import CsvImportReport, iter_contact_chunks
from rasl_prefect.campaign.planning import check_shard, shard_of
from rasl_prefect.importing import open_contact_rows

MIXED_FILE = (
    "Name,Phone\n"
    + "".join(f"Contact {row},{phone_for_row(row, 6_000_000)}\n" for row in range(60))
    + "No Number,not-a-phone\n"
    + f"Twice,{phone_for_row(0, 6_000_000)}\n"
)
"""60 valid rows, one invalid phone and one duplicate of the first row."""


def read_shard(path: Path, shard_index: int, shard_count: int) -> tuple[CsvImportReport, set[str]]:
    report = CsvImportReport(campaign_id="campaign-shards")
    phones: set[str] = set()
    with open_contact_rows(str(path), default_region="SA") as reader:
        for chunk in iter_contact_chunks(
            reader,
            report,
            template_fields=[],
            batch_size=25,
            consent_required=False,
            shard_index=shard_index,
            shard_count=shard_count,
        ):
            phones.update(contact.phone for contact in chunk.contacts)
    return report, phones


@pytest.fixture
def mixed_file(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.csv"
    path.write_text(MIXED_FILE, encoding="utf-8")
    return path


def test_shard_of_same_in_new_process() -> None:
    phones = [phone_for_row(row, 6_100_000) for row in range(20)]
    in_this_process = [shard_of(phone, 3) for phone in phones]
    script = (
        "import sys; from rasl_prefect.campaign.planning import shard_of; "
        "print([shard_of(phone, 3) for phone in sys.argv[1:]])"
    )

    completed = subprocess.run(
        [sys.executable, "-c", script, *phones], capture_output=True, text=True, check=True
    )

    assert completed.stdout.strip() == str(in_this_process)


def test_shard_of_uses_every_shard() -> None:
    shards = {shard_of(phone_for_row(row, 6_200_000), 4) for row in range(200)}

    assert shards == {0, 1, 2, 3}


def test_shards_partition_accepted_rows(mixed_file: Path) -> None:
    shards = [read_shard(mixed_file, index, 3) for index in range(3)]
    _, everything = read_shard(mixed_file, 0, 1)

    union = set().union(*(phones for _, phones in shards))
    assert union == everything
    assert sum(len(phones) for _, phones in shards) == len(everything)
    assert all(phones for _, phones in shards)


def test_shard_zero_reports_rejected_rows(mixed_file: Path) -> None:
    reports = [read_shard(mixed_file, index, 3)[0] for index in range(3)]

    assert reports[0].rows_rejected == 1
    assert reports[0].duplicate_rows == 1
    assert reports[1].rows_rejected + reports[2].rows_rejected == 0
    assert reports[1].duplicate_rows + reports[2].duplicate_rows == 0


def test_shard_row_counts_add_up(mixed_file: Path) -> None:
    reports = [read_shard(mixed_file, index, 3)[0] for index in range(3)]

    assert sum(report.rows_read for report in reports) == 62
    assert sum(report.rows_accepted for report in reports) == 60


@pytest.mark.parametrize(("index", "count"), [(0, 0), (-1, 2), (2, 2)])
def test_check_shard_rejects(index: int, count: int) -> None:
    with pytest.raises(ValueError, match="invalid"):
        check_shard(index, count)


def test_unsaved_block_reference_rejected() -> None:
    credentials = RaslCredentials(api_token="sbx_unsaved", base_url="http://127.0.0.1:9/api/v2")

    with pytest.raises(ValueError, match="not a saved block") as raised:
        credentials_reference(credentials)

    assert "sbx_unsaved" not in str(raised.value)


def test_parent_parameters_exist_in_csv_import() -> None:
    from flows.csv_import import csv_import
    from flows.sharded_campaign import sharded_campaign

    parent_only = {"shard_count", "deployment_name", "timeout_seconds", "poll_seconds"}
    child_parameters = set(csv_import.parameters.properties)
    forwarded = set(sharded_campaign.parameters.properties) - parent_only

    assert forwarded <= child_parameters
    assert "shard_index" in child_parameters


# Two workers on one token of 20 requests per 2-second window. The global concurrency limit
# admits at most BURST + DECAY * t requests in any t seconds: 2 + 8 * 2 = 18 per window, which
# leaves 2 requests of room for the delay between taking a slot and the request reaching the
# sandbox. A limit of 20 slots decaying at 10 per second would admit up to 40 per window after
# an idle moment, and then the clients' own pacers let an occasional 429 through.
TOKEN_LIMIT = 20
WINDOW_SECONDS = 2
SLOT_BURST = 2
SLOT_DECAY_PER_SECOND = 8.0
SCALEOUT_CONTACTS = 120


@pytest.mark.timeout(420)
def test_two_workers_share_token_limit(prefect_server: str, sandbox: Any, tmp_path: Path) -> None:
    from bench.scaleout import prepare_pool, run_sharded_campaign
    from bench.windows import route_counts, token_windows

    suffix = uuid.uuid4().hex[:8]
    pool_name = f"rasl-test-{suffix}"
    limit_name = f"rasl-test-token-{suffix}"
    block_name = f"rasl-test-scaleout-{suffix}"
    token = sandbox.admin.create_token(
        name=block_name, rpm=TOKEN_LIMIT, window_seconds=WINDOW_SECONDS
    )["token"]
    RaslCredentials(
        api_token=token,
        base_url=sandbox.base_url,
        requests_per_minute=TOKEN_LIMIT * 60 // WINDOW_SECONDS,
        concurrency_limit_name=limit_name,
    ).save(block_name)
    deployment = prepare_pool(
        pool_name, limit_name, SLOT_BURST, SLOT_DECAY_PER_SECOND, prefect_server
    )
    source = write_contacts_csv(tmp_path / "contacts.csv", SCALEOUT_CONTACTS, offset=6_500_000)

    run = run_sharded_campaign(
        admin=sandbox.admin,
        api_url=prefect_server,
        pool_name=pool_name,
        deployment_name=deployment,
        credentials_block_name=block_name,
        source=source,
        group_name="Scale-out customers",
        shard_count=2,
        log_directory=tmp_path,
    )

    stats = sandbox.admin.stats()
    windows = token_windows(stats, block_name)
    sends = route_counts(stats, "POST", "/messages/template")
    shard_sends = [shard.report.messages_sent for shard in run.report.shards if shard.report]
    assert max(window["accepted"] for window in windows) <= TOKEN_LIMIT
    assert run.requests.get("429", 0) == 0
    assert sends == {"201": SCALEOUT_CONTACTS}
    assert len(shard_sends) == 2
    assert all(count > 0 for count in shard_sends)
    assert run.report.totals["messages_sent"] == SCALEOUT_CONTACTS
