"""Repeating the campaign's POST requests that have the same effect however often they run."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from rasl_prefect.exceptions import (
    RaslError,
    RaslOutcomeUnknownError,
    RaslRateLimitError,
    RaslServerError,
)
from rasl_prefect.logging import get_logger

T = TypeVar("T")

REPEAT_ATTEMPTS = 5
"""Attempts of one idempotent POST before its error is raised."""

REPEAT_WAIT_SECONDS = 0.5
"""Wait before the second attempt; each later attempt waits this much longer."""

TRANSIENT_ERRORS: tuple[type[RaslError], ...] = (
    RaslServerError,
    RaslOutcomeUnknownError,
    RaslRateLimitError,
)
"""A 5xx response, a request sent whose response never arrived, or 429 responses that outlasted
the client's own retries (a 429 is a rejection, so the request took no effect)."""


def repeat_idempotent(
    call: Callable[[], T],
    *,
    description: str,
    attempts: int = REPEAT_ATTEMPTS,
    wait_seconds: float = REPEAT_WAIT_SECONDS,
) -> T:
    """Call `call`, repeating it after a 5xx response, a lost response or a long rate limit.

    The client never repeats a POST after the request went out, because a repeated send could
    duplicate a message. Use this only for POSTs whose repeat changes nothing: a batch create
    that skips existing phones, adding contacts to a group, or a find-then-create of a group.

    Args:
        call: The request; it is called up to `attempts` times.
        description: What the request does, for the log, such as "Batch-creating 100 contacts".
        attempts: Calls before the last error is raised.
        wait_seconds: Wait before the second call, in seconds; later calls wait longer. After
            a rate limit the wait is at least the error's `retry_after`.

    Returns:
        The first successful call's result.

    Raises:
        RaslServerError: Every attempt got a 5xx answer (the last error is raised).
        RaslOutcomeUnknownError: The last attempt got no response.
        RaslRateLimitError: The last attempt was still rate limited.
    """
    logger = get_logger()
    for attempt in range(1, attempts):
        try:
            return call()
        except TRANSIENT_ERRORS as error:
            wait = wait_seconds * attempt
            if isinstance(error, RaslRateLimitError) and error.retry_after:
                wait = max(wait, error.retry_after)
            logger.warning(
                "%s failed (attempt %d of %d); repeating in %.1f s: %s",
                description,
                attempt,
                attempts,
                wait,
                error,
            )
            time.sleep(wait)
    return call()
