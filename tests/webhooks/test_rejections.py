"""Unit tests of the rate-limited rejection log."""

from __future__ import annotations

import logging

import pytest

from rasl_prefect.webhooks.rejections import RejectionLog


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rejection_log_limits_lines(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    log = RejectionLog(logging.getLogger("test.rejections"), max_lines=3, clock=clock)

    with caplog.at_level(logging.WARNING, logger="test.rejections"):
        for _ in range(10):
            log.record("rasl", 401, "invalid_secret", "127.0.0.1:5000")
        clock.now += 61
        log.record("rasl", 401, "invalid_secret", "127.0.0.1:5000")

    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 5
    assert messages[0] == "Rejected rasl request from 127.0.0.1:5000 with HTTP 401: invalid_secret"
    assert messages[3] == "7 further rejected webhook requests were not logged in the last 60 s"
