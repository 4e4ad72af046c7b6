"""Unit tests of the rate-limited request log."""

from __future__ import annotations

import logging

import pytest

from rasl_prefect.webhooks.rejections import RateLimitedLog


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rate_limited_log_limits_lines(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    log = RateLimitedLog(logging.getLogger("test.rejections"), max_lines=3, clock=clock)

    with caplog.at_level(logging.INFO, logger="test.rejections"):
        for attempt in range(10):
            log.log(logging.WARNING, "Rejected attempt %d", attempt)
        clock.now += 61
        log.log(logging.INFO, "Next window")

    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Rejected attempt 0",
        "Rejected attempt 1",
        "Rejected attempt 2",
        "7 further webhook request log lines were left out in the last 60 s",
        "Next window",
    ]
    assert caplog.records[4].levelno == logging.INFO


def test_rate_limited_log_quiet_window(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    log = RateLimitedLog(logging.getLogger("test.rejections"), max_lines=3, clock=clock)

    with caplog.at_level(logging.INFO, logger="test.rejections"):
        log.log(logging.WARNING, "one")
        clock.now += 61
        log.log(logging.WARNING, "two")

    assert [record.getMessage() for record in caplog.records] == ["one", "two"]
