"""Client-side pacing that keeps one token's requests under its rate limit.

The pacer reads `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` from every
response. Within a window it sends only while the lowest `Remaining` seen minus the requests
still in flight is above zero, so concurrent callers never overshoot. A request in flight that
the server already counted is counted twice until its response arrives, which errs on the safe
side. When the window is spent it waits for the reset plus a margin, or for one minute after
the window's first response if that comes sooner. It then sends a single probe request to learn
the new window before releasing the others. Before any header has arrived, it spreads requests
evenly over `requests_per_minute`.

When other processes send on the same token (the client takes slots of a Prefect global
concurrency limit), the `Remaining` a process saw is stale by the requests the others have in
flight. The tail of a window is its last requests, three times the peak of this pacer's
requests in flight. There a shared pacer sends one request at a time, so every response
refreshes the count, and the requests in flight of one or two other processes of the same
concurrency fit in what is left. It also leaves the window's last request unused, for two
processes that send it in the same instant. A process that has not seen a response for a moment
(while it read a file or waited for a slot) sends one request alone first, because the others
may have spent the window meanwhile.

The one-minute bound measures time on the local clock only, so it holds whatever the server's
clock says. The reset header, by contrast, is compared with the local wall clock.

No maintained library fits: `aiolimiter` and `pyrate-limiter` pace to a fixed local rate and
cannot resynchronise from the server's headers or account for requests in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from rasl_prefect.client.clock import AsyncClock, Clock
from rasl_prefect.client.retry import parse_int_header, parse_reset

RESET_MARGIN_SECONDS = 1.0
"""Wait this long past a whole-second `X-RateLimit-Reset`, which may be rounded down."""

FRACTIONAL_RESET_MARGIN_SECONDS = 0.05
"""Wait this long past an `X-RateLimit-Reset` sent with a fraction, which is not rounded."""

SPACING_MARGIN = 1.01
"""Space header-less requests 1 percent wider than the limit, to absorb network jitter."""

POLL_SECONDS = 0.05
"""How often a waiting caller re-checks while other requests are in flight."""

SHARED_TAIL_FACTOR = 3
"""On a shared token, the window's tail is this many times the peak of requests in flight."""

SHARED_STALE_SECONDS = 0.1
"""On a shared token, a count older than this is refreshed by one request before others."""

TAIL_POLL_SECONDS = 0.005
"""How often a caller re-checks in the tail of a shared window, where requests go one by one."""

SHARED_RESERVE_REQUESTS = 1
"""On a shared token, treat the window as spent once `Remaining` is at most this."""

WINDOW_SECONDS = 60.0
"""The maximum window length of a requests-per-minute limit.

A window that counted a request received at time T ends by T plus this, whatever the reset
header says and however the server's clock is set. It is also the window length assumed when
the server sends `Remaining` without `Reset`.
"""


class RateLimitState:
    """The pacing arithmetic, without locking or sleeping; the pacers wrap it.

    Attributes:
        limit: The window's request limit from `X-RateLimit-Limit`, when seen.
        window_remaining: The lowest `X-RateLimit-Remaining` seen in the current window, minus
            completed requests that carried no header; None when the window is new or unknown.
        reset_at: Unix time at which the current window resets, when known.
        in_flight: Requests sent whose response has not been read.
        headers_seen: Whether any response carried rate limit headers.
        reset_margin: Seconds waited past the reset: 1 for whole-second resets, which may be
            rounded down, 0.05 for resets sent with a fraction, unless fixed by the caller.
        shared: Whether other processes send on the same token.
    """

    def __init__(
        self,
        requests_per_minute: int | None,
        *,
        reset_margin: float | None = None,
        shared: bool = False,
    ) -> None:
        self.limit: int | None = None
        self.window_remaining: int | None = None
        self.reset_at: float | None = None
        self.in_flight = 0
        self.headers_seen = False
        self.paused_until = 0.0
        self.window_seen_at: float | None = None
        self.shared = shared
        self.peak_in_flight = 0
        self.headers_at = 0.0
        self.fixed_reset_margin = reset_margin
        self.reset_margin = RESET_MARGIN_SECONDS if reset_margin is None else reset_margin
        self.spacing = 60.0 / requests_per_minute * SPACING_MARGIN if requests_per_minute else 0.0
        self._next_start = 0.0

    def try_acquire(self, monotonic_now: float, wall_now: float) -> float:
        """Take a send permit, or return how long to wait before asking again.

        Args:
            monotonic_now: The monotonic clock.
            wall_now: The wall clock, Unix seconds.

        Returns:
            0 when the permit was taken (the caller must call `release` once done),
            else the seconds to wait.
        """
        if wall_now < self.paused_until:
            return self.paused_until - wall_now

        window_end = self._window_end()
        if window_end is not None and wall_now >= window_end:
            self.window_remaining = None
            self.reset_at = None
            self.window_seen_at = None

        if self.window_remaining is None:
            if not self.headers_seen:
                return self._try_spread(monotonic_now)
            if self.in_flight > 0:
                # A probe of the new window is in flight, and its headers will carry the new count.
                return POLL_SECONDS
            self.in_flight += 1
            return 0.0

        if self.shared and (
            self.window_remaining <= self._shared_tail()
            or wall_now - self.headers_at > SHARED_STALE_SECONDS
        ):
            # In a shared window's tail, or with a stale count: one request at a time, and the
            # window's last request unused.
            if self.in_flight > 0:
                return TAIL_POLL_SECONDS
            if self.window_remaining > SHARED_RESERVE_REQUESTS:
                return self._take()
        elif self.window_remaining - self.in_flight > 0:
            return self._take()

        if window_end is not None:
            until_reset = window_end - wall_now
            return min(until_reset, POLL_SECONDS) if self.in_flight else until_reset
        return POLL_SECONDS if self.in_flight else max(self.spacing, 1.0)

    def _take(self) -> float:
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return 0.0

    def _shared_tail(self) -> int:
        # Other processes like this one may have as many requests in flight each, unseen here.
        return SHARED_TAIL_FACTOR * max(self.peak_in_flight, 1) + SHARED_RESERVE_REQUESTS

    def _window_end(self) -> float | None:
        """Return when the current window is over for certain, or None when unknown.

        That is the reset plus the margin, or one minute after the first response of the
        window arrived if that comes sooner: the request behind that response was counted in
        the window, so the window began before it.
        """
        if self.reset_at is None:
            return None
        end = self.reset_at + self.reset_margin
        if self.window_seen_at is not None:
            # NOTE: this assumes the limit's window is at most one minute long, as the
            # requests-per-minute limits of RASL tokens are.
            end = min(end, self.window_seen_at + WINDOW_SECONDS + FRACTIONAL_RESET_MARGIN_SECONDS)
        return end

    def _try_spread(self, monotonic_now: float) -> float:
        if monotonic_now < self._next_start:
            return self._next_start - monotonic_now
        self._next_start = monotonic_now + self.spacing
        self.in_flight += 1
        return 0.0

    def release(
        self, headers: Mapping[str, str] | None, wall_now: float, *, counted: bool = True
    ) -> None:
        """Return a permit and resynchronise from the response's rate limit headers.

        Args:
            headers: The response headers, or None when no response arrived.
            wall_now: The wall clock, Unix seconds.
            counted: Whether the server may have counted the request; False when the
                connection failed before anything was sent.
        """
        self.in_flight = max(self.in_flight - 1, 0)

        remaining = limit = None
        reset_at = None
        if headers is not None:
            remaining = parse_int_header(headers.get("x-ratelimit-remaining"))
            limit = parse_int_header(headers.get("x-ratelimit-limit"))
            reset_header = headers.get("x-ratelimit-reset")
            reset_at = parse_reset(reset_header, wall_now)
            if reset_at is not None and self.fixed_reset_margin is None:
                self.reset_margin = (
                    FRACTIONAL_RESET_MARGIN_SECONDS
                    if reset_header is not None and "." in reset_header
                    else RESET_MARGIN_SECONDS
                )

        if remaining is None:
            if counted and self.window_remaining is not None:
                self.window_remaining = max(self.window_remaining - 1, 0)
            return

        self.headers_seen = True
        self.headers_at = wall_now
        if limit is not None:
            self.limit = limit
        if reset_at is None and self.reset_at is None:
            # NOTE: without X-RateLimit-Reset the window length is a guess of one minute.
            reset_at = wall_now + WINDOW_SECONDS

        starts_new_window = self.window_remaining is None or (
            reset_at is not None and self.reset_at is not None and reset_at > self.reset_at + 1.0
        )
        if starts_new_window:
            self.window_remaining = remaining
            self.reset_at = reset_at if reset_at is not None else self.reset_at
            self.window_seen_at = wall_now
        else:
            assert self.window_remaining is not None
            self.window_remaining = min(self.window_remaining, remaining)
            if self.reset_at is None:
                self.reset_at = reset_at

    def pause(self, wall_until: float) -> None:
        """Hold every caller until `wall_until`, after a 429 response set a wait."""
        self.paused_until = max(self.paused_until, wall_until)
        # The window the 429 came from is over by then; a probe reads the next one.
        self.window_remaining = None
        self.reset_at = None
        self.window_seen_at = None


class RateLimitPacer:
    """A pacer shared by every thread that uses one synchronous client."""

    def __init__(
        self,
        requests_per_minute: int | None,
        clock: Clock,
        reset_margin: float | None = None,
        *,
        shared: bool = False,
    ) -> None:
        self.state = RateLimitState(requests_per_minute, reset_margin=reset_margin, shared=shared)
        self._clock = clock
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                wait = self.state.try_acquire(self._clock.monotonic(), self._clock.time())
            if wait <= 0:
                return waited
            self._clock.sleep(wait)
            waited += wait

    def release(self, headers: Mapping[str, str] | None, *, counted: bool = True) -> None:
        """Return the permit taken by `acquire`, with the response headers if one arrived."""
        with self._lock:
            self.state.release(headers, self._clock.time(), counted=counted)

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` from now."""
        with self._lock:
            self.state.pause(self._clock.time() + seconds)


class AsyncRateLimitPacer:
    """A pacer shared by every task that uses one asynchronous client."""

    def __init__(
        self,
        requests_per_minute: int | None,
        clock: AsyncClock,
        reset_margin: float | None = None,
        *,
        shared: bool = False,
    ) -> None:
        self.state = RateLimitState(requests_per_minute, reset_margin=reset_margin, shared=shared)
        self._clock = clock
        # The state changes between awaits only, but the lock keeps it safe if the client is
        # shared by event loops in several threads.
        self._lock = threading.Lock()

    async def acquire(self) -> float:
        """Wait until a request may be sent; return the seconds spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                wait = self.state.try_acquire(self._clock.monotonic(), self._clock.time())
            if wait <= 0:
                return waited
            await self._clock.sleep(wait)
            waited += wait

    def release(self, headers: Mapping[str, str] | None, *, counted: bool = True) -> None:
        """Return the permit taken by `acquire`, with the response headers if one arrived."""
        with self._lock:
            self.state.release(headers, self._clock.time(), counted=counted)

    def pause(self, seconds: float) -> None:
        """Hold every caller for `seconds` from now."""
        with self._lock:
            self.state.pause(self._clock.time() + seconds)
