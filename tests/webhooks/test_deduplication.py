"""Unit tests of the delivery deduplicator."""

from __future__ import annotations

from rasl_prefect.webhooks.deduplication import DeliveryDeduplicator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_deduplicator_remembers_key() -> None:
    deliveries = DeliveryDeduplicator(ttl_seconds=60, max_entries=10, clock=FakeClock())
    deliveries.remember("a")
    assert deliveries.seen("a")
    assert not deliveries.seen("b")


def test_deduplicator_forgets_after_ttl() -> None:
    clock = FakeClock()
    deliveries = DeliveryDeduplicator(ttl_seconds=60, max_entries=10, clock=clock)
    deliveries.remember("a")

    clock.now += 59.9
    assert deliveries.seen("a")

    clock.now += 0.2
    assert not deliveries.seen("a")
    assert len(deliveries) == 0


def test_deduplicator_bounded_entries() -> None:
    deliveries = DeliveryDeduplicator(ttl_seconds=60, max_entries=3, clock=FakeClock())
    for key in ["a", "b", "c", "d"]:
        deliveries.remember(key)

    assert len(deliveries) == 3
    assert not deliveries.seen("a")
    assert deliveries.seen("d")


def test_deduplicator_long_keys_cost_same() -> None:
    deliveries = DeliveryDeduplicator(ttl_seconds=60, max_entries=10, clock=FakeClock())
    deliveries.remember("x" * 100_000)
    assert deliveries.seen("x" * 100_000)
    assert all(len(key) == 32 for key in deliveries._expiry_by_key)
