"""Clocks the clients read and sleep on, injectable so timing is tested without real sleeps."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """A clock for the synchronous client."""

    def monotonic(self) -> float:
        """Return seconds from an arbitrary start that never go backwards."""
        ...

    def time(self) -> float:
        """Return the wall clock as Unix seconds, compared with `X-RateLimit-Reset`."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block the calling thread for `seconds`."""
        ...


class AsyncClock(Protocol):
    """A clock for the asynchronous client: the same readings, with an awaitable sleep."""

    def monotonic(self) -> float:
        """Return seconds from an arbitrary start that never go backwards."""
        ...

    def time(self) -> float:
        """Return the wall clock as Unix seconds, compared with `X-RateLimit-Reset`."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend the calling task for `seconds`."""
        ...


class SystemClock:
    """The real clock: `time.monotonic`, `time.time` and `time.sleep`."""

    def monotonic(self) -> float:
        """Return `time.monotonic()`."""
        return time.monotonic()

    def time(self) -> float:
        """Return `time.time()`."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Call `time.sleep(seconds)`."""
        time.sleep(seconds)


class AsyncSystemClock(SystemClock):
    """The real clock with `asyncio.sleep`."""

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        """Await `asyncio.sleep(seconds)`."""
        await asyncio.sleep(seconds)
