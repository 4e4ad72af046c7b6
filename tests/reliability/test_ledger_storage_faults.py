"""The send ledger on a result storage that fails now and then: errors surface, duplicates never.

A storage read or write that raises must stop the send it belongs to, never be taken for a
missing record. The campaign is run again until a run ends without a storage error. Then every
recipient must be sent once or reported unknown, and no phone may have two messages.

Any campaign id is either rejected or keeps the ledger's records inside the ledger's folder.
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prefect.filesystems import LocalFileSystem

from rasl_prefect.campaign import Recipient, SendLedger, TemplateSender
from rasl_prefect.client import RaslClient
from tests.reliability.support import template_messages_per_phone

RECIPIENTS = 200
FIRST_NUMBER = 500_060_000
FAILURE_PROBABILITY = 0.03
MAX_FAILURES = 20
MAX_RUNS = 40


class FlakyStorage(LocalFileSystem):
    """A local file system whose reads and writes raise `OSError` at random, a bounded number
    of times, as a network file system or an object store can."""

    # A slug of its own, so that this test type does not replace LocalFileSystem in Prefect's
    # block registry for the rest of the session.
    _block_type_slug = "rasl-test-flaky-storage"
    failure_probability: float = FAILURE_PROBABILITY
    max_failures: int = MAX_FAILURES
    seed: int = 11

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {"read": 0, "write": 0}

    @property
    def failures(self) -> dict[str, int]:
        """Failures injected so far, per kind."""
        return dict(self._failures)

    def _maybe_fail(self, kind: str, path: str) -> None:
        with self._lock:
            if sum(self._failures.values()) >= self.max_failures:
                return
            if self._random.random() >= self.failure_probability:
                return
            self._failures[kind] += 1
        raise OSError(f"injected storage {kind} failure on {path}")

    def read_path(self, path: str) -> bytes:  # type: ignore[override]
        self._maybe_fail("read", path)
        return LocalFileSystem.read_path(self, path, _sync=True)  # type: ignore[call-arg]

    def write_path(self, path: str, content: bytes) -> str:  # type: ignore[override]
        self._maybe_fail("write", path)
        return LocalFileSystem.write_path(self, path, content, _sync=True)  # type: ignore[call-arg]


@pytest.mark.timeout(300)
def test_flaky_storage_no_duplicates(sandbox: Any, tmp_path: Path) -> None:
    storage = FlakyStorage(basepath=str(tmp_path / "ledger"))
    recipients = [
        Recipient(phone=f"+966{FIRST_NUMBER + offset}", parameters=[f"Contact{offset}"])
        for offset in range(RECIPIENTS)
    ]
    client = RaslClient(sandbox.token, base_url=sandbox.base_url, requests_per_minute=100_000)
    sender = TemplateSender(
        client,
        SendLedger("flaky-storage", storage=storage),
        template_name="welcome_offer",
        language="en",
    )

    outcomes = None
    errors: list[str] = []
    for _ in range(MAX_RUNS):
        try:
            outcomes = sender.send_all(recipients)
        except OSError as error:
            errors.append(str(error))
            continue
        break
    client.close()
    runs = len(errors) + (outcomes is not None)

    messaged = template_messages_per_phone(sandbox)
    statuses = [outcome.status for outcome in outcomes or []]
    print(
        f"\n{runs} runs, storage failures {storage.failures}: "
        f"{statuses.count('sent')} sent by the last run, {statuses.count('already_sent')} "
        f"already sent, {statuses.count('unknown')} unknown, {sum(messaged.values())} messages"
    )

    assert outcomes is not None, f"every run failed; last error: {errors[-1]}"
    assert errors, "no storage failure was injected"
    assert all("injected storage" in error for error in errors)
    assert max(messaged.values()) == 1
    assert set(statuses) <= {"sent", "already_sent", "unknown"}
    assert statuses.count("unknown") <= storage.failures["write"]

    for recipient, outcome in zip(recipients, outcomes, strict=True):
        if outcome.status != "unknown":
            assert messaged[recipient.phone] == 1, f"{outcome.masked_phone}: {outcome.status}"


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(campaign_id=st.text(max_size=40))
def test_campaign_id_stays_in_ledger(
    tmp_path_factory: pytest.TempPathFactory, campaign_id: str
) -> None:
    root = tmp_path_factory.mktemp("ledger")
    storage = LocalFileSystem(basepath=str(root))

    try:
        ledger = SendLedger(campaign_id, storage=storage)
    except ValueError as error:
        assert "campaign_id" in str(error)
        return
    ledger.record_intent("ab" + "0" * 30)

    written = [path for path in root.rglob("*") if path.is_file()]
    assert len(written) == 1
    assert written[0].resolve().is_relative_to((root / "rasl-campaigns").resolve())
    assert ledger.has_intent("ab" + "0" * 30)
