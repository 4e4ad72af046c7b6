"""A bounded, time-limited memory of delivery ids, used to drop redelivered webhooks."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable


class DeliveryDeduplicator:
    """Remembers delivery keys for `ttl_seconds`, keeping at most `max_entries` of them.

    Keys are stored as SHA-256 digests, so a long delivery id costs no more memory than a
    short one. The keys live in one process, so a restart clears them, and two receiver
    processes do not share them.

    Args:
        ttl_seconds: How long a key is remembered.
        max_entries: The maximum number of keys remembered. When full, the oldest key is
            forgotten.
        clock: Monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_seconds = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._expiry_by_key: OrderedDict[bytes, float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry_by_key)

    def seen(self, key: str) -> bool:
        """Return True when `key` was remembered and has not expired."""
        self._forget_expired()
        return _digest(key) in self._expiry_by_key

    def remember(self, key: str) -> None:
        """Remember `key` for the configured time, forgetting the oldest key when full."""
        self._forget_expired()

        digest = _digest(key)
        self._expiry_by_key.pop(digest, None)
        self._expiry_by_key[digest] = self._clock() + self._ttl_seconds

        while len(self._expiry_by_key) > self._max_entries:
            self._expiry_by_key.popitem(last=False)

    def _forget_expired(self) -> None:
        # Every key gets the same TTL, so insertion order is expiry order.
        now = self._clock()
        while self._expiry_by_key:
            oldest_key, expiry = next(iter(self._expiry_by_key.items()))
            if expiry > now:
                break
            del self._expiry_by_key[oldest_key]


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()
