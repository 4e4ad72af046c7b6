"""The sandbox's clock: wall time plus an offset that tests move forward."""

from __future__ import annotations

import time
from datetime import datetime, timezone


class SandboxClock:
    """Wall-clock time that `advance()` moves forward, for OTP expiry and the 24-hour window.

    Rate-limit windows use real time instead, so their `X-RateLimit-Reset` values stay
    true Unix timestamps.
    """

    def __init__(self) -> None:
        self.offset_seconds = 0.0

    def now(self) -> float:
        """Return the sandbox time in Unix seconds."""
        return time.time() + self.offset_seconds

    def advance(self, seconds: float) -> None:
        """Move the sandbox time forward by `seconds`."""
        self.offset_seconds += seconds

    def reset(self) -> None:
        """Return to real time."""
        self.offset_seconds = 0.0


def isoformat(unix_seconds: float) -> str:
    """Format Unix seconds as ISO 8601 in UTC with an offset, like `2026-01-01T07:58:39+00:00`."""
    return datetime.fromtimestamp(int(unix_seconds), tz=timezone.utc).isoformat()


def parse_isoformat(value: str) -> float:
    """Parse an ISO 8601 date or date-time into Unix seconds (UTC when no offset is given).

    Raises:
        ValueError: The value is not ISO 8601.
    """
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
