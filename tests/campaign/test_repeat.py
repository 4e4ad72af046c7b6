"""Repeating idempotent campaign requests after transient errors, rate limits included."""

from __future__ import annotations

import pytest

from rasl_prefect.campaign.repeat import repeat_idempotent
from rasl_prefect.exceptions import RaslRateLimitError, RaslValidationError


class FailingThenWorking:
    """A request that raises the given errors in turn, then returns "done"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def rate_limited() -> RaslRateLimitError:
    return RaslRateLimitError("too many requests", status_code=429, retry_after=0.01)


def test_repeats_after_long_rate_limit() -> None:
    request = FailingThenWorking(rate_limited(), rate_limited())

    result = repeat_idempotent(request, description="Adding contacts", wait_seconds=0)

    assert result == "done"
    assert request.calls == 3


def test_rate_limit_raised_after_last_attempt() -> None:
    request = FailingThenWorking(*(rate_limited() for _ in range(3)))

    with pytest.raises(RaslRateLimitError):
        repeat_idempotent(request, description="Adding contacts", attempts=3, wait_seconds=0)

    assert request.calls == 3


def test_validation_error_not_repeated() -> None:
    request = FailingThenWorking(RaslValidationError("phone is invalid", status_code=422))

    with pytest.raises(RaslValidationError):
        repeat_idempotent(request, description="Adding contacts", wait_seconds=0)

    assert request.calls == 1
