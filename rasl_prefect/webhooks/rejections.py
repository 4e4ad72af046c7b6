"""Rate-limited logging of request outcomes that any client can trigger."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any


class RateLimitedLog:
    """Writes at most `max_lines` log lines per `window_seconds`.

    Lines beyond the limit are counted, and the count is logged at WARNING when the next
    window starts. Unauthenticated clients can trigger rejections and pings at will, so
    this keeps a flood of requests from flooding the log.

    Args:
        logger: The logger to write to.
        max_lines: Lines logged per window.
        window_seconds: Length of a window in seconds.
        clock: Monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        logger: logging.Logger | logging.LoggerAdapter[Any],
        max_lines: int = 20,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._max_lines = max_lines
        self._window_seconds = window_seconds
        self._clock = clock
        self._window_start = clock()
        self._lines_in_window = 0
        self._suppressed = 0

    def log(self, level: int, message: str, *args: Any) -> None:
        """Log `message % args` at `level` unless this window's limit is reached."""
        now = self._clock()
        if now - self._window_start >= self._window_seconds:
            if self._suppressed:
                self._logger.warning(
                    "%d further webhook request log lines were left out in the last %.0f s",
                    self._suppressed,
                    self._window_seconds,
                )
            self._window_start = now
            self._lines_in_window = 0
            self._suppressed = 0

        if self._lines_in_window >= self._max_lines:
            self._suppressed += 1
            return

        self._lines_in_window += 1
        self._logger.log(level, message, *args)
