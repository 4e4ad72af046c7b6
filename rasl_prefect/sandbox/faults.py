"""Fault injection: server errors, connection resets, latency, dropped responses and 429 bursts."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from rasl_prefect.sandbox.errors import ApiError


@dataclass
class FaultSettings:
    """Probabilities (0 to 1) and amounts of each injected fault.

    Attributes:
        error_500: Probability of a 500 `INTERNAL_ERROR` response in place of handling the request.
        error_503: Probability of a 503 `SERVICE_UNAVAILABLE` response in place of handling it.
        reset: Probability of closing the connection before reading the request further,
            so nothing is done and no response is sent.
        drop_after_commit: Probability of handling the request (state changes are kept)
            and then closing the connection instead of sending the response.
        message_send_failed: Probability that a send endpoint returns 500 `MESSAGE_SEND_FAILED`.
        latency_ms: Delay added before every affected request, in milliseconds.
        latency_jitter_ms: Extra random delay between 0 and this many milliseconds.
        burst_429: How many of the next affected requests get 429 whatever their window holds.
        paths: Path prefixes the faults apply to, such as `/api/v2/messages`; empty means all
            `/api/v2` paths.
        seed: Seed of the random generator, for reproducible runs.
    """

    error_500: float = 0.0
    error_503: float = 0.0
    reset: float = 0.0
    drop_after_commit: float = 0.0
    message_send_failed: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    burst_429: int = 0
    paths: list[str] = field(default_factory=list)
    seed: int | None = None


PROBABILITY_FIELDS = ("error_500", "error_503", "reset", "drop_after_commit", "message_send_failed")


class FaultInjector:
    """Decides, request by request, which fault to inject."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self.random = random.Random()
        self.injected: dict[str, int] = {}

    @property
    def active(self) -> bool:
        """True when any fault is configured."""
        settings = self.settings
        return bool(
            any(getattr(settings, name) > 0 for name in PROBABILITY_FIELDS)
            or settings.latency_ms > 0
            or settings.latency_jitter_ms > 0
            or settings.burst_429 > 0
        )

    def configure(self, values: dict[str, Any]) -> FaultSettings:
        """Replace the settings with `values` (absent keys return to their defaults).

        Raises:
            ApiError: 422 when a key is unknown or a value is out of range.
        """
        known = {item.name for item in fields(FaultSettings)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"Unknown fault setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}.",
            )
        try:
            settings = FaultSettings(**values)
            for name in PROBABILITY_FIELDS:
                probability = float(getattr(settings, name))
                if not 0.0 <= probability <= 1.0:
                    raise ValueError(
                        f"{name} must be a probability between 0 and 1, not {probability}"
                    )
                setattr(settings, name, probability)
            settings.latency_ms = float(settings.latency_ms)
            settings.latency_jitter_ms = float(settings.latency_jitter_ms)
            settings.burst_429 = int(settings.burst_429)
            if settings.latency_ms < 0 or settings.latency_jitter_ms < 0 or settings.burst_429 < 0:
                raise ValueError("latency_ms, latency_jitter_ms and burst_429 must not be negative")
            settings.paths = [str(path) for path in settings.paths]
        except (TypeError, ValueError) as error:
            raise ApiError(422, "VALIDATION_ERROR", f"Invalid fault settings: {error}.") from error
        self.settings = settings
        self.random = random.Random(settings.seed)
        return settings

    def applies_to(self, path: str) -> bool:
        """True when faults are configured and `path` is one of the affected paths."""
        if not self.active:
            return False
        paths = self.settings.paths
        return not paths or any(path.startswith(prefix) for prefix in paths)

    def roll(self, name: str) -> bool:
        """Draw whether the fault `name` happens to this request, and count it when it does."""
        probability: float = getattr(self.settings, name)
        if probability <= 0.0 or self.random.random() >= probability:
            return False
        self.count(name)
        return True

    def take_burst_429(self) -> bool:
        """Use up one request of the 429 burst, if any is left."""
        if self.settings.burst_429 <= 0:
            return False
        self.settings.burst_429 -= 1
        self.count("burst_429")
        return True

    def latency_seconds(self) -> float:
        """Return the delay to add to this request, in seconds."""
        delay = self.settings.latency_ms
        if self.settings.latency_jitter_ms > 0:
            delay += self.random.uniform(0, self.settings.latency_jitter_ms)
        return delay / 1000.0

    def count(self, name: str) -> None:
        """Count one injected fault of kind `name`."""
        self.injected[name] = self.injected.get(name, 0) + 1

    def describe(self) -> dict[str, Any]:
        """Return the settings as a dict."""
        return asdict(self.settings)

    def reset(self) -> None:
        """Turn every fault off and forget the counts."""
        self.settings = FaultSettings()
        self.random = random.Random()
        self.injected.clear()
