"""Figures from the sandbox's stats: accepted requests per rate-limit window, and request deltas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WindowFigures:
    """The share of its token's rate-limit windows that a run used.

    Attributes:
        utilization: Mean of accepted / limit over the full windows.
        full_windows: Windows counted: every window of the run but its last, partial one.
        max_accepted: The maximum of requests accepted in one window.
        limit: The token's requests per window.
        time_utilization: Requests accepted per second of the run, divided by limit / window
            length; lower than `utilization` by the pauses between windows.
    """

    utilization: float
    full_windows: int
    max_accepted: int
    limit: int
    time_utilization: float


def token_windows(stats: dict[str, Any], token_name: str) -> list[dict[str, Any]]:
    """Return the windows of the sandbox token called `token_name`, oldest first.

    Raises:
        KeyError: No token of that name has used a window.
    """
    for entry in stats["tokens"].values():
        if entry.get("name") == token_name:
            return sorted(entry["windows"], key=lambda window: window["start"])
    raise KeyError(f"no sandbox token named {token_name!r} has accepted a request")


def window_figures(
    windows: list[dict[str, Any]], started: float, finished: float, window_seconds: float
) -> WindowFigures:
    """Compute the utilization of the windows that opened between `started` and `finished`.

    Args:
        windows: The token's windows from `token_windows`.
        started: Unix time at which the run began.
        finished: Unix time at which the run ended.
        window_seconds: The token's window length.

    Raises:
        ValueError: The run used fewer than two windows, so none was full.
    """
    used = [window for window in windows if started <= window["start"] <= finished]
    if len(used) < 2:
        raise ValueError(
            f"the run used {len(used)} rate-limit windows; send more contacts so at least one "
            "window is full."
        )

    full = used[:-1]
    limit = int(full[0]["limit"])
    utilization = sum(window["accepted"] / window["limit"] for window in full) / len(full)

    accepted = sum(window["accepted"] for window in full)
    span = full[-1]["end"] - full[0]["start"]
    time_utilization = accepted / (span * limit / window_seconds) if span > 0 else 0.0

    return WindowFigures(
        utilization=utilization,
        full_windows=len(full),
        max_accepted=max(window["accepted"] for window in used),
        limit=limit,
        time_utilization=time_utilization,
    )


def request_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Return the requests made between two stats snapshots: `total` and one count per status."""
    delta = {"total": after["total"] - before["total"]}
    for status, count in after["statuses"].items():
        delta[status] = count - before["statuses"].get(status, 0)
    return delta


def route_counts(stats: dict[str, Any], method: str, path_suffix: str) -> dict[str, int]:
    """Return the counts per status of the routes `METHOD .../path_suffix` in sandbox stats.

    Matching the end of the path works whether or not the route names carry the `/api/v2`
    prefix.
    """
    counts: dict[str, int] = {}
    for route, by_status in stats["routes"].items():
        route_method, _, path = route.partition(" ")
        if route_method != method or not path.endswith(path_suffix):
            continue
        for status, count in by_status.items():
            counts[status] = counts.get(status, 0) + count
    return counts
