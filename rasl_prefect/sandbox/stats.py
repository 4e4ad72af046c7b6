"""Request counters per route and status, for benchmarks and tests."""

from __future__ import annotations

from typing import Any


class RequestStats:
    """Counts of API requests by route (method and path template) and by status.

    Statuses are HTTP codes, or `reset` and `dropped` for connections closed by a fault.
    """

    def __init__(self) -> None:
        self.routes: dict[str, dict[str, int]] = {}
        self.statuses: dict[str, int] = {}
        self.total = 0

    def record(self, route: str, status: str) -> None:
        """Count one request."""
        self.total += 1
        by_status = self.routes.get(route)
        if by_status is None:
            by_status = self.routes[route] = {}
        by_status[status] = by_status.get(status, 0) + 1
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counters as plain dicts."""
        return {
            "total": self.total,
            "rate_limited": self.statuses.get("429", 0),
            "statuses": dict(self.statuses),
            "routes": {route: dict(counts) for route, counts in self.routes.items()},
        }

    def reset(self) -> None:
        """Set every counter to zero."""
        self.routes.clear()
        self.statuses.clear()
        self.total = 0
