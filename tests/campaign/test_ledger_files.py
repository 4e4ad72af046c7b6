"""The send ledger's direct file path for a LocalFileSystem agrees with the block's own methods."""

from __future__ import annotations

from pathlib import Path

from prefect.filesystems import LocalFileSystem

from rasl_prefect.campaign.ledger import LEDGER_PREFIX, SendLedger
from rasl_prefect.campaign.models import SendOutcome

KEY = "ab" + "0" * 62


def test_direct_records_readable_by_block(tmp_path: Path) -> None:
    storage = LocalFileSystem(basepath=str(tmp_path))
    ledger = SendLedger("spring-sale", storage)

    ledger.record_intent(KEY, "run-1")
    ledger.record_outcome(SendOutcome(message_key=KEY, status="sent", message_id="wamid.1"))

    path = f"{LEDGER_PREFIX}/spring-sale/ab/{KEY}.outcome"
    recorded = SendOutcome.model_validate_json(storage.read_path(path, _sync=True))  # type: ignore[call-arg]
    assert recorded.message_id == "wamid.1"
    assert ledger.has_intent(KEY)


def test_block_records_readable_directly(tmp_path: Path) -> None:
    storage = LocalFileSystem(basepath=str(tmp_path))
    outcome = SendOutcome(message_key=KEY, status="failed", retry_safe=True, reason="rejected")
    path = f"{LEDGER_PREFIX}/حملة-الربيع/ab/{KEY}.outcome"
    storage.write_path(path, outcome.model_dump_json().encode(), _sync=True)  # type: ignore[call-arg]

    recorded = SendLedger("حملة-الربيع", storage).read_outcome(KEY)

    assert recorded is not None
    assert recorded.status == "failed"
    assert recorded.reason == "rejected"


def test_missing_records_read_as_none(tmp_path: Path) -> None:
    ledger = SendLedger("spring-sale", LocalFileSystem(basepath=str(tmp_path / "empty")))

    assert ledger.read_outcome(KEY) is None
    assert not ledger.has_intent(KEY)
