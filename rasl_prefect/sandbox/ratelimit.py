"""Per-token fixed-window rate limiting, with the accepted count of every past window kept."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

HISTORY_WINDOWS = 10_000
"""Past windows kept per token for the stats endpoint; older ones are dropped."""


@dataclass
class Window:
    """One token's current window."""

    start: float
    end: float
    accepted: int
    limit: int
    rejected: int = 0


@dataclass(frozen=True)
class Decision:
    """The outcome of one rate-limit check, with the values of the `X-RateLimit-*` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_at: int
    retry_after_seconds: int


class FixedWindowLimiter:
    """A fixed window per token, starting at its first request after the previous window ended.

    A request rejected with 429 does not count against the window.
    """

    def __init__(self) -> None:
        self.windows: dict[int, Window] = {}
        self.history: dict[int, deque[dict[str, Any]]] = {}

    def check(self, token_id: int, limit: int, window_seconds: float) -> Decision:
        """Count one request of `token_id` if the window has room, and return the decision."""
        now = time.time()
        window = self.windows.get(token_id)
        if window is None or now >= window.end:
            if window is not None and window.accepted:
                self._remember(token_id, window)
            window = Window(start=now, end=now + window_seconds, accepted=0, limit=limit)
            self.windows[token_id] = window
        window.limit = limit

        reset_at = math.ceil(window.end)
        if window.accepted >= limit:
            window.rejected += 1
            wait = max(1, math.ceil(window.end - now))
            return Decision(False, limit, 0, reset_at, wait)
        window.accepted += 1
        return Decision(True, limit, limit - window.accepted, reset_at, 0)

    def _remember(self, token_id: int, window: Window) -> None:
        history = self.history.setdefault(token_id, deque(maxlen=HISTORY_WINDOWS))
        history.append(
            {
                "start": window.start,
                "end": window.end,
                "accepted": window.accepted,
                "rejected": window.rejected,
                "limit": window.limit,
            }
        )

    def snapshot(self) -> dict[int, list[dict[str, Any]]]:
        """Return every token's past and current windows with their accepted counts."""
        result: dict[int, list[dict[str, Any]]] = {}
        for token_id in set(self.history) | set(self.windows):
            windows = list(self.history.get(token_id, ()))
            current = self.windows.get(token_id)
            if current is not None and current.accepted:
                windows.append(
                    {
                        "start": current.start,
                        "end": current.end,
                        "accepted": current.accepted,
                        "rejected": current.rejected,
                        "limit": current.limit,
                        "current": True,
                    }
                )
            result[token_id] = windows
        return result

    def reset(self) -> None:
        """Forget every window."""
        self.windows.clear()
        self.history.clear()
