"""Test doubles for the client tests: a fake clock and a recording mock API."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

FAKE_TOKEN = "rasl-test-token-Zq7XwK93mPvB"
"""A recognisable token: tests search logs, reprs and errors for it."""

START_TIME = 1_780_000_000.25
"""The fake wall clock's start, a Unix time with a fraction so rounded resets are exercised."""


class FakeClock:
    """A clock that moves only when someone sleeps; threads that sleep together overlap.

    Each `sleep(seconds)` moves the clock to at least the moment the sleeper would wake,
    measured from when it fell asleep, so two threads sleeping 10 s at once advance it 10 s.
    """

    def __init__(self, start: float = START_TIME) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        with self._lock:
            return self._now

    def time(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            wake_at = self._now + seconds
        with self._lock:
            self._now = max(self._now, wake_at)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class AsyncFakeClock(FakeClock):
    """`FakeClock` with an awaitable sleep."""

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        FakeClock.sleep(self, seconds)


def envelope(data: Any, *, request_id: str = "req-1", **extra: Any) -> dict[str, Any]:
    """Wrap `data` in the API's success envelope."""
    body = {
        "success": True,
        "data": data,
        "message": "OK",
        "meta": {"request_id": request_id, "timestamp": "2026-01-01T07:58:39+00:00"},
    }
    body.update(extra)
    return body


class RecordingApi:
    """A mock API that records requests and returns responses from a queue or a handler.

    Attributes:
        requests: Every request received, in order.
    """

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._queue: list[httpx.Response | Exception] = []
        self._handler = handler
        self._lock = threading.Lock()

    def queue(self, *responses: httpx.Response | Exception) -> RecordingApi:
        """Return these responses, or raise these errors, for the next requests in order."""
        self._queue.extend(responses)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            answer = self._queue.pop(0) if self._queue else None
        if isinstance(answer, Exception):
            raise answer
        if answer is not None:
            return answer
        if self._handler is not None:
            return self._handler(request)
        return httpx.Response(200, json=envelope({}))

    @property
    def last(self) -> httpx.Request:
        """The last request received."""
        return self.requests[-1]

    def last_json(self) -> Any:
        """The JSON body of the last request."""
        return json.loads(self.last.content)

    def transport(self) -> httpx.MockTransport:
        """A sync transport that sends to this API."""
        return httpx.MockTransport(self)

    def async_transport(self) -> httpx.MockTransport:
        """An async transport that sends to this API."""

        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            return self(request)

        return httpx.MockTransport(handle)


def multipart_fields(request: httpx.Request) -> dict[str, str]:
    """Return the plain text fields of a multipart request body, by name."""
    content_type = request.headers["content-type"]
    boundary = content_type.split("boundary=", 1)[1]
    fields: dict[str, str] = {}
    for part in request.content.split(f"--{boundary}".encode()):
        if b"Content-Disposition" not in part:
            continue
        head, _, value = part.partition(b"\r\n\r\n")
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        if b"filename=" in head:
            fields[name] = (
                "<file " + head.split(b'filename="', 1)[1].split(b'"', 1)[0].decode() + ">"
            )
        else:
            fields[name] = value.rstrip(b"\r\n").decode()
    return fields


class ScaledClock:
    """A real clock running `speed` times faster, for thread tests where sleeps must overlap.

    Sleeping threads really sleep (for `seconds / speed`), so they wait side by side as they
    would with the system clock, and a one-minute rate limit window passes in a fraction
    of a second.
    """

    def __init__(self, speed: float, start: float = START_TIME) -> None:
        self.speed = speed
        self._start = start
        self._real_start = time.monotonic()

    def monotonic(self) -> float:
        return self._start + (time.monotonic() - self._real_start) * self.speed

    def time(self) -> float:
        return self.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.speed)


class AsyncScaledClock(ScaledClock):
    """`ScaledClock` with an awaitable sleep."""

    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        await asyncio.sleep(seconds / self.speed)


class WindowedApi:
    """A fake API with a fixed-window rate limit that starts at the first request of a window.

    `X-RateLimit-Reset` is the window end rounded down to whole seconds, as servers that
    store integer timestamps send it, so a client that trusts it exactly gets a 429.

    Attributes:
        accepted_at: The fake time of every accepted request.
        rejected: How many requests got a 429.
    """

    def __init__(
        self,
        clock: FakeClock | ScaledClock,
        limit: int,
        *,
        window: float = 60.0,
        send_headers: bool = True,
        relative_reset: bool = False,
        fractional_reset: bool = False,
        round_reset_up: bool = False,
        latency: float = 0.0,
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.send_headers = send_headers
        self.relative_reset = relative_reset
        self.fractional_reset = fractional_reset
        self.round_reset_up = round_reset_up
        self.latency = latency
        self.accepted_at: list[float] = []
        self.rejected = 0
        self._window_start: float | None = None
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.latency:
            # Real time, so threads really overlap with requests in flight.
            time.sleep(self.latency)
        with self._lock:
            now = self.clock.time()
            if self._window_start is None or now >= self._window_start + self.window:
                self._window_start = now
                self._count = 0
            window_end = self._window_start + self.window
            if self._count >= self.limit:
                self.rejected += 1
                status, body = 429, {"error": {"code": "RATE_LIMIT_EXCEEDED"}}
            else:
                self._count += 1
                self.accepted_at.append(now)
                status, body = 200, envelope({"message_id": f"wamid.{len(self.accepted_at)}"})
            headers = {}
            if self.send_headers:
                if self.fractional_reset:
                    reset = f"{window_end:.3f}"
                elif self.relative_reset:
                    reset = str(int(window_end - now))
                elif self.round_reset_up:
                    reset = str(math.ceil(window_end))
                else:
                    reset = str(int(window_end))
                headers = {
                    "X-RateLimit-Limit": str(self.limit),
                    "X-RateLimit-Remaining": str(self.limit - self._count),
                    "X-RateLimit-Reset": reset,
                }
        return httpx.Response(status, json=body, headers=headers)


def limit_share(server: WindowedApi) -> float:
    """Share of the limit used: requests after the first window over the time they took."""
    elapsed = server.accepted_at[-1] - server.accepted_at[0]
    return (len(server.accepted_at) - server.limit) / (elapsed / server.window) / server.limit
