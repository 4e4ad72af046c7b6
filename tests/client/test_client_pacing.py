"""Pacing: the client's own load never causes a 429, and still uses nearly the whole limit."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from client_fakes import (
    START_TIME,
    FakeClock,
    RecordingApi,
    ScaledClock,
    WindowedApi,
    envelope,
    limit_share,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from rasl_prefect.client import RaslClient
from rasl_prefect.client.pacing import RESET_MARGIN_SECONDS, RateLimitState
from rasl_prefect.exceptions import RaslRateLimitError

PHONE = "+966500000011"


def paced_client(
    clock: FakeClock | ScaledClock, server: WindowedApi, **settings: object
) -> RaslClient:
    return RaslClient(
        "pacing-token",
        base_url="https://rasl.test/api/v2",
        transport=httpx.MockTransport(server),
        clock=clock,
        max_retries=0,
        **settings,  # type: ignore[arg-type]
    )


def test_campaign_no_429_and_full_rate(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60)

    with paced_client(clock, server, requests_per_minute=60) as client:
        for _ in range(600):
            client.send_text_message(phone=PHONE, message="hi")

    assert server.rejected == 0
    assert len(server.accepted_at) == 600
    assert limit_share(server) >= 0.995


def test_relative_reset_no_429(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=30, relative_reset=True)

    with paced_client(clock, server, requests_per_minute=30) as client:
        for _ in range(150):
            client.get_account_info()

    assert server.rejected == 0
    assert limit_share(server) >= 0.95


def test_fractional_reset_short_margin(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60, fractional_reset=True)

    with paced_client(clock, server, requests_per_minute=60) as client:
        for _ in range(600):
            client.send_text_message(phone=PHONE, message="hi")

    assert server.rejected == 0
    assert limit_share(server) >= 0.995


def test_zero_margin_for_rounded_up_reset(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60, round_reset_up=True)

    with paced_client(clock, server, requests_per_minute=60, reset_margin_seconds=0) as client:
        for _ in range(600):
            client.send_text_message(phone=PHONE, message="hi")

    assert server.rejected == 0
    assert limit_share(server) >= 0.99


def test_zero_margin_unsafe_when_rounded_down(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60)

    with paced_client(clock, server, requests_per_minute=60, reset_margin_seconds=0) as client:
        with pytest.raises(RaslRateLimitError):
            for _ in range(120):
                client.send_text_message(phone=PHONE, message="hi")

    assert server.rejected == 1


def test_threads_share_limit() -> None:
    # Real threads on a clock 100 times faster: 6 one-minute windows take about 4 s.
    clock = ScaledClock(speed=100)
    server = WindowedApi(clock, limit=60, latency=0.0005)

    with paced_client(clock, server, requests_per_minute=60) as client:

        def send_batch(_: int) -> int:
            for _ in range(45):
                client.send_text_message(phone=PHONE, message="hi")
            return 45

        with ThreadPoolExecutor(max_workers=8) as pool:
            sent = sum(pool.map(send_batch, range(8)))

    assert sent == 360
    assert server.rejected == 0
    assert len(server.accepted_at) == 360
    # The 100-fold clock also multiplies thread wake-up delays by 100, up to seconds on a
    # busy 2-core machine. So only a loose share is checked here, and the event simulation
    # below checks the share of concurrent callers exactly.
    assert limit_share(server) >= 0.8


def test_threads_no_429_without_spreading(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=20, latency=0.002)

    with paced_client(clock, server, requests_per_minute=None) as client:
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda _: client.get_account_info(), range(90)))

    assert server.rejected == 0


def test_spreads_before_headers(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60, send_headers=False)

    with paced_client(clock, server, requests_per_minute=60) as client:
        for _ in range(4):
            client.get_account_info()

    gaps = [
        later - earlier
        for earlier, later in zip(server.accepted_at[:-1], server.accepted_at[1:], strict=True)
    ]
    assert gaps == pytest.approx([60 / 60 * 1.01] * 3)


def test_no_spreading_once_headers_arrive(clock: FakeClock) -> None:
    server = WindowedApi(clock, limit=60)

    with paced_client(clock, server, requests_per_minute=60) as client:
        for _ in range(10):
            client.get_account_info()

    assert server.accepted_at[-1] == server.accepted_at[0]


def test_waits_for_reset_when_spent(clock: FakeClock, api: RecordingApi) -> None:
    reset = int(START_TIME) + 30
    headers = {"X-RateLimit-Limit": "2", "X-RateLimit-Reset": str(reset)}
    ok = envelope({"id": 1})
    api.queue(
        httpx.Response(200, json=ok, headers={**headers, "X-RateLimit-Remaining": "1"}),
        httpx.Response(200, json=ok, headers={**headers, "X-RateLimit-Remaining": "0"}),
    )
    client = RaslClient(
        "pacing-token", transport=api.transport(), clock=clock, requests_per_minute=None
    )

    client.get_account_info()
    client.get_account_info()
    sent_before_reset = len(api.requests)
    client.get_account_info()

    assert sent_before_reset == 2
    assert clock.time() == pytest.approx(reset + RESET_MARGIN_SECONDS)
    client.close()


def test_429_pauses_other_callers(
    make_client: Callable[..., RaslClient], api: RecordingApi, clock: FakeClock
) -> None:
    client = make_client()
    client.retry_policy.random_fraction = lambda: 0.0
    api.queue(httpx.Response(429, headers={"Retry-After": "9"}))
    client._pacer.state.headers_seen = True

    client.get_account_info()

    assert client._pacer.state.paused_until == pytest.approx(START_TIME + 9)


def test_state_counts_requests_in_flight() -> None:
    state = RateLimitState(None)
    headers = {"x-ratelimit-remaining": "3", "x-ratelimit-reset": str(int(START_TIME) + 50)}
    assert state.try_acquire(0.0, START_TIME) == 0.0
    state.release(headers, START_TIME)

    grants = [state.try_acquire(0.0, START_TIME) for _ in range(4)]

    assert grants[:3] == [0.0, 0.0, 0.0]
    assert grants[3] > 0


def test_state_stale_header_never_raises_count() -> None:
    state = RateLimitState(None)
    reset = str(int(START_TIME) + 50)
    state.try_acquire(0.0, START_TIME)
    state.release({"x-ratelimit-remaining": "5", "x-ratelimit-reset": reset}, START_TIME)
    state.try_acquire(0.0, START_TIME)
    state.try_acquire(0.0, START_TIME)

    state.release({"x-ratelimit-remaining": "3", "x-ratelimit-reset": reset}, START_TIME)
    state.release({"x-ratelimit-remaining": "4", "x-ratelimit-reset": reset}, START_TIME)

    assert state.window_remaining == 3


def test_state_probes_new_window_alone() -> None:
    state = RateLimitState(None)
    state.try_acquire(0.0, START_TIME)
    state.release(
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(START_TIME) + 1)}, START_TIME
    )
    after_reset = int(START_TIME) + 1 + RESET_MARGIN_SECONDS

    probe = state.try_acquire(0.0, after_reset)
    second = state.try_acquire(0.0, after_reset)

    assert probe == 0.0
    assert second > 0


def test_state_unsent_request_not_counted() -> None:
    state = RateLimitState(None)
    headers = {"x-ratelimit-remaining": "2", "x-ratelimit-reset": str(int(START_TIME) + 50)}
    state.try_acquire(0.0, START_TIME)
    state.release(headers, START_TIME)
    state.try_acquire(0.0, START_TIME)

    state.release(None, START_TIME, counted=False)

    assert state.window_remaining == 2


def test_state_missing_header_counts_request() -> None:
    state = RateLimitState(None)
    headers = {"x-ratelimit-remaining": "2", "x-ratelimit-reset": str(int(START_TIME) + 50)}
    state.try_acquire(0.0, START_TIME)
    state.release(headers, START_TIME)
    state.try_acquire(0.0, START_TIME)

    state.release(None, START_TIME)

    assert state.window_remaining == 1


class SimulatedServer:
    """A fixed-window rate limit evaluated at given times, for the event simulation."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self.accepted_at: list[float] = []
        self.rejected = 0
        self._window_start: float | None = None
        self._count = 0

    def handle(self, now: float) -> dict[str, str]:
        if self._window_start is None or now >= self._window_start + self.window:
            self._window_start = now
            self._count = 0
        if self._count >= self.limit:
            self.rejected += 1
        else:
            self._count += 1
            self.accepted_at.append(now)
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.limit - self._count),
            "x-ratelimit-reset": str(int(self._window_start + self.window)),
        }


def simulate_callers(
    callers: int,
    latency: float,
    total: int,
    limit: int,
    latency_of: Callable[[int], float] | None = None,
) -> SimulatedServer:
    """Run `callers` concurrent senders through one `RateLimitState` in simulated time.

    Each request reaches the server `latency / 2` after its permit and its response returns
    `latency / 2` later, so several requests are in flight at once and responses come back
    while other callers are deciding. `latency_of(event_number)` varies the legs, so responses
    also return out of order.
    """
    state = RateLimitState(limit)
    server = SimulatedServer(limit)
    events: list[tuple[float, int, str, dict[str, str] | None]] = []
    sequence = itertools.count()
    for _ in range(callers):
        heapq.heappush(events, (START_TIME, next(sequence), "acquire", None))
    started = 0

    while events:
        now, number, kind, headers = heapq.heappop(events)
        trip = latency_of(number) if latency_of is not None else latency
        if kind == "acquire":
            if started >= total:
                continue
            wait = state.try_acquire(now, now)
            if wait > 0:
                heapq.heappush(events, (now + wait, next(sequence), "acquire", None))
                continue
            started += 1
            heapq.heappush(events, (now + trip / 2, next(sequence), "arrive", None))
        elif kind == "arrive":
            response_headers = server.handle(now)
            heapq.heappush(events, (now + trip / 2, next(sequence), "respond", response_headers))
        else:
            state.release(headers, now)
            heapq.heappush(events, (now, next(sequence), "acquire", None))
    return server


@pytest.mark.parametrize(("callers", "latency"), [(1, 0.05), (8, 0.05), (16, 0.2), (32, 0.02)])
def test_concurrent_callers_simulated(callers: int, latency: float) -> None:
    server = simulate_callers(callers, latency, total=1200, limit=60)

    assert server.rejected == 0
    assert len(server.accepted_at) == 1200
    assert limit_share(server) >= 0.99


def test_window_ends_a_minute_after_response() -> None:
    state = RateLimitState(None)
    state.try_acquire(0.0, START_TIME)
    late_reset = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(START_TIME) + 300)}
    state.release(late_reset, START_TIME)

    wait = state.try_acquire(0.0, START_TIME)

    assert wait == pytest.approx(60.05)


@pytest.mark.parametrize("window", [10.0, 30.5])
def test_short_windows_simulated(window: float, monkeypatch: pytest.MonkeyPatch) -> None:
    original = SimulatedServer.__init__

    def short_window(self: SimulatedServer, limit: int, window_length: float = window) -> None:
        original(self, limit, window_length)

    monkeypatch.setattr(SimulatedServer, "__init__", short_window)

    server = simulate_callers(8, 0.05, total=600, limit=60)

    assert server.rejected == 0


@settings(max_examples=60, deadline=None)
@given(
    callers=st.integers(min_value=1, max_value=20),
    limit=st.integers(min_value=1, max_value=60),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_out_of_order_responses_no_429(callers: int, limit: int, seed: int) -> None:
    legs = random.Random(seed)
    latencies: dict[int, float] = {}

    def latency_of(number: int) -> float:
        return latencies.setdefault(number, legs.uniform(0.001, 3.0))

    server = simulate_callers(callers, 0.0, total=limit * 4, limit=limit, latency_of=latency_of)

    assert server.rejected == 0
    assert len(server.accepted_at) == limit * 4


def simulate_processes(
    processes: int, callers: int, latency: float, total: int, limit: int, *, shared: bool
) -> SimulatedServer:
    """Run several processes, each with its own `RateLimitState`, against one token's limit.

    Every process sends `total` requests with `callers` concurrent senders. Each reads only the
    headers of its own responses, so its `Remaining` lags the requests of the others.
    """
    states = [RateLimitState(limit, shared=shared) for _ in range(processes)]
    server = SimulatedServer(limit)
    events: list[tuple[float, int, int, str, dict[str, str] | None]] = []
    sequence = itertools.count()
    started = [0] * processes
    for process in range(processes):
        for _ in range(callers):
            # The processes start a few milliseconds apart, as workers do.
            heapq.heappush(
                events, (START_TIME + process * 0.003, next(sequence), process, "acquire", None)
            )

    while events:
        now, _, process, kind, headers = heapq.heappop(events)
        state = states[process]
        if kind == "acquire":
            if started[process] >= total:
                continue
            wait = state.try_acquire(now, now)
            if wait > 0:
                heapq.heappush(events, (now + wait, next(sequence), process, "acquire", None))
                continue
            started[process] += 1
            heapq.heappush(events, (now + latency / 2, next(sequence), process, "arrive", None))
        elif kind == "arrive":
            response_headers = server.handle(now)
            heapq.heappush(
                events, (now + latency / 2, next(sequence), process, "respond", response_headers)
            )
        else:
            state.release(headers, now)
            heapq.heappush(events, (now, next(sequence), process, "acquire", None))
    return server


def test_shared_token_processes_stay_under_limit() -> None:
    # A shared pacer leaves one request of each window unused: 10 windows of 199 requests.
    server = simulate_processes(2, 8, 0.01, total=995, limit=200, shared=True)

    assert server.rejected == 0
    assert len(server.accepted_at) == 1990
    assert limit_share(server) >= 0.97


def test_unshared_pacers_overshoot_a_shared_token() -> None:
    server = simulate_processes(2, 8, 0.01, total=1000, limit=200, shared=False)

    assert server.rejected > 0


def shared_state_after_response(remaining: int) -> RateLimitState:
    """Return a shared pacer that has seen one response with `remaining` requests left."""
    state = RateLimitState(None, shared=True)
    headers = {
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(int(START_TIME) + 50),
    }
    state.try_acquire(0.0, START_TIME)
    state.release(headers, START_TIME)
    return state


def test_shared_tail_sends_one_at_a_time() -> None:
    state = shared_state_after_response(remaining=3)

    first = state.try_acquire(0.0, START_TIME)
    second = state.try_acquire(0.0, START_TIME)

    assert first == 0.0
    assert second > 0


def test_shared_window_keeps_last_request() -> None:
    state = shared_state_after_response(remaining=1)

    assert state.try_acquire(0.0, START_TIME) > 0


def test_shared_stale_count_sends_alone() -> None:
    state = shared_state_after_response(remaining=150)
    later = START_TIME + 1.0

    first = state.try_acquire(0.0, later)
    second = state.try_acquire(0.0, later)

    assert first == 0.0
    assert second > 0


def test_shared_fresh_count_sends_together() -> None:
    state = shared_state_after_response(remaining=150)

    grants = [state.try_acquire(0.0, START_TIME) for _ in range(8)]

    assert grants == [0.0] * 8
