"""A small campaign whose chunk tasks run on a local Dask cluster of two worker processes.

The chunk tasks receive a pickled credentials block, build their RASL client in the Dask worker
process, and return plain data, so `csv_import` runs unchanged under `DaskTaskRunner`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("prefect_dask", reason="prefect-dask is not installed (extra `dask`)")
pytest.importorskip("distributed", reason="dask.distributed is not installed (extra `dask`)")

from prefect_dask import DaskTaskRunner  # noqa: E402

from bench.contacts import write_contacts_csv  # noqa: E402
from bench.windows import route_counts  # noqa: E402
from flows.csv_import import csv_import  # noqa: E402
from rasl_prefect import RaslCredentials  # noqa: E402

CONTACTS = 250


@pytest.fixture
def dask_csv_import() -> Any:
    """Return `csv_import` with its chunk tasks sent to a fresh two-process local cluster."""
    runner = DaskTaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": 2,
            "processes": True,
            "threads_per_worker": 2,
            "host": "127.0.0.1",
            "dashboard_address": None,
        },
    )
    return csv_import.with_options(task_runner=runner)


@pytest.mark.timeout(240)
def test_campaign_on_dask_cluster(
    prefect_server: str, sandbox: Any, tmp_path: Path, dask_csv_import: Any
) -> None:
    source = write_contacts_csv(tmp_path / "contacts.csv", CONTACTS, offset=5_000_000)
    credentials = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000
    )

    report = dask_csv_import(
        source=str(source),
        credentials=credentials,
        group_name="Dask customers",
        template_name="welcome_offer",
        template_fields=["@{contact_first_name}"],
        source_id=1,
        status_id=1,
    )

    stats = sandbox.admin.stats()
    sends = route_counts(stats, "POST", "/messages/template")
    assert report.messages_sent == CONTACTS
    assert report.messages_failed == 0
    assert report.contacts_created == CONTACTS
    assert sends == {"201": CONTACTS}


@pytest.mark.timeout(240)
def test_dask_rerun_sends_nothing(
    prefect_server: str, sandbox: Any, tmp_path: Path, dask_csv_import: Any
) -> None:
    source = write_contacts_csv(tmp_path / "contacts.csv", 120, offset=5_500_000)
    credentials = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000
    )
    parameters: dict[str, Any] = {
        "source": str(source),
        "credentials": credentials,
        "group_name": "Dask re-run",
        "template_name": "welcome_offer",
        "template_fields": ["@{contact_first_name}"],
        "source_id": 1,
        "status_id": 1,
    }

    first = dask_csv_import(**parameters)
    second = dask_csv_import(**parameters)

    sends = route_counts(sandbox.admin.stats(), "POST", "/messages/template")
    assert first.messages_sent == 120
    assert second.messages_sent == 0
    assert second.messages_already_sent == 120
    assert sends == {"201": 120}
