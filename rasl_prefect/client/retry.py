"""The retry policy: which failures are repeated, and how long to wait before each attempt.

| Method | 429 | 5xx | connect error, connect or pool timeout | read timeout, dropped connection |
|---|---|---|---|---|
| GET, PATCH, DELETE | retried | retried | retried | retried |
| POST | retried | raised, `retryable=False` | retried | `RaslOutcomeUnknownError`, not retried |

A POST is repeated only when it provably did not take effect: a 429 is rejected before the
handler runs, and a connect failure means no byte of the request left. A 5xx on a POST,
including a 503 that may come from a proxy in front of the app, may already have sent the
message, so it is raised.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})

NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Transport errors raised before any byte of the request was sent."""

RELATIVE_RESET_LIMIT = 10_000_000
"""`X-RateLimit-Reset` values below this are seconds from now rather than a Unix time."""

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 60.0
JITTER_FRACTION = 0.1


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Parse a `Retry-After` header: delay seconds or an HTTP date.

    Args:
        value: The header value.
        now: The wall clock, Unix seconds.

    Returns:
        Seconds to wait (never negative), or None when the header is missing or invalid.
    """
    if not value:
        return None
    value = value.strip()
    seconds = _finite_number(value)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(moment.timestamp() - now, 0.0)


def parse_reset(value: str | None, now: float) -> float | None:
    """Parse `X-RateLimit-Reset` into a Unix time.

    Args:
        value: Unix seconds, or a small number meaning seconds from now.
        now: The wall clock, Unix seconds.

    Returns:
        The Unix time at which the window resets, or None when missing or invalid.
    """
    if not value:
        return None
    number = _finite_number(value)
    if number is None:
        return None
    if number < RELATIVE_RESET_LIMIT:
        return now + max(number, 0.0)
    return number


def parse_int_header(value: str | None) -> int | None:
    """Parse an integer header such as `X-RateLimit-Remaining`; None when missing or invalid."""
    if value is None:
        return None
    number = _finite_number(value)
    return int(number) if number is not None else None


def _finite_number(value: str) -> float | None:
    # float() accepts "inf", "nan" and "1e999"; int() of the first and last raises
    # OverflowError, and NaN or infinite waits would break the pacing arithmetic.
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


@dataclass
class RetryPolicy:
    """How many times and how long one request is repeated.

    Attributes:
        max_retries: Retries after the first attempt.
        max_total_wait: Seconds one request may spend waiting across all its retries.
        random_fraction: Source of jitter in [0, 1); jitter only ever lengthens a wait.
    """

    max_retries: int = 5
    max_total_wait: float = 120.0
    random_fraction: Callable[[], float] = field(default=random.random)

    def backoff(self, attempt: int) -> float:
        """Return the exponential backoff before retry number `attempt` (0 for the first)."""
        return min(BACKOFF_BASE_SECONDS * (2**attempt), BACKOFF_MAX_SECONDS)

    def with_jitter(self, seconds: float) -> float:
        """Lengthen a wait by up to 10 percent, so clients that failed together spread out."""
        return seconds + seconds * JITTER_FRACTION * self.random_fraction()

    def wait_for_rate_limit(
        self,
        response: httpx.Response,
        attempt: int,
        now: float,
        body_retry_after: float | None,
    ) -> float:
        """Return the wait before retrying a 429.

        Uses `Retry-After` (seconds or HTTP date), else a `retry_after` in the body, else
        `X-RateLimit-Reset`, else exponential backoff.
        """
        wait = parse_retry_after(response.headers.get("retry-after"), now)
        if wait is None:
            wait = body_retry_after
        if wait is None:
            reset_at = parse_reset(response.headers.get("x-ratelimit-reset"), now)
            if reset_at is not None:
                wait = max(reset_at - now, 0.0)
        if wait is None:
            wait = self.backoff(attempt)
        return self.with_jitter(wait)

    def status_is_retried(self, method: str, status: int) -> bool:
        """Decide whether a response status is retried for this method."""
        if status == 429:
            return True
        return status >= 500 and method.upper() in IDEMPOTENT_METHODS

    def transport_error_is_retried(self, method: str, error: httpx.TransportError) -> bool:
        """Decide whether a transport error is retried for this method."""
        if isinstance(error, NOT_SENT_ERRORS):
            return True
        return method.upper() in IDEMPOTENT_METHODS

    def allows(self, attempt: int, waited: float, wait: float) -> bool:
        """Decide whether retry number `attempt` with `wait` more seconds fits in the limits."""
        return attempt < self.max_retries and waited + wait <= self.max_total_wait
