"""Slots of a Prefect global concurrency limit, taken in blocks and spent one per request.

A client whose credentials name a global concurrency limit spends one slot per RASL request, so
every process that uses the token shares its requests-per-minute allowance. Asking the Prefect
server for each slot costs one API call (and one event) per request. Under contention, the
server's suggested retry wait also grows with every rejected request, so a process would get
far fewer slots than the token allows. A client therefore takes several slots at once and spends
them one per request.

A block is at most a tenth of the limit and at most `MAX_SLOTS_PER_BLOCK`, so a process never
holds more than a small share of the window. Slots still unspent when a client is closed are
lost. They decay like spent ones, so the cost is a few requests of allowance per client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

from rasl_prefect.exceptions import RaslConfigurationError
from rasl_prefect.logging import get_logger

MAX_SLOTS_PER_BLOCK = 20
"""The maximum number of slots one acquisition takes."""

SLOW_ACQUISITION_SECONDS = 1.0
"""A wait for slots at least this long is logged at INFO."""

LIMIT_SHARE_PER_BLOCK = 10
"""A block is at most 1/10 of the limit, so several processes can hold blocks at once."""


def block_size_for(limit: int) -> int:
    """Return how many slots to take at once from a limit of `limit` slots."""
    return max(1, min(MAX_SLOTS_PER_BLOCK, limit // LIMIT_SHARE_PER_BLOCK))


def read_limit(limit_name: str) -> int:
    """Return the size of the global concurrency limit `limit_name`.

    Raises:
        RaslConfigurationError: No limit of that name exists in the Prefect workspace.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            return client.read_global_concurrency_limit_by_name(limit_name).limit
        except ObjectNotFound as error:
            raise missing_limit_error(limit_name) from error


async def read_limit_async(limit_name: str) -> int:
    """Return the size of the global concurrency limit `limit_name`.

    Raises:
        RaslConfigurationError: No limit of that name exists in the Prefect workspace.
    """
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    async with get_client() as client:
        try:
            limit = await client.read_global_concurrency_limit_by_name(limit_name)
        except ObjectNotFound as error:
            raise missing_limit_error(limit_name) from error
    return limit.limit


def missing_limit_error(limit_name: str) -> RaslConfigurationError:
    """Return the error for a `concurrency_limit_name` that names no limit, with the fix."""
    return RaslConfigurationError(
        f"The Prefect global concurrency limit {limit_name!r} named by the credentials' "
        f"concurrency_limit_name does not exist. Create it with `prefect gcl create "
        f"{limit_name} --limit LIMIT --slot-decay-per-second RATE` (docs/scaling.md gives the "
        "values for a token), or leave concurrency_limit_name empty to pace in this process only."
    )


def log_acquisition(limit_name: str, slots: int, seconds: float) -> None:
    """Log a block of slots taken: at INFO when the limit made the caller wait, else at DEBUG."""
    level = logging.INFO if seconds >= SLOW_ACQUISITION_SECONDS else logging.DEBUG
    get_logger().log(
        level, "Took %d slots of concurrency limit %s in %.2f s", slots, limit_name, seconds
    )


class SlotBlock:
    """The spare slots of the block a client holds, shared by its sync and async forms.

    Args:
        limit_name: A Prefect global concurrency limit with slot decay.
    """

    def __init__(self, limit_name: str) -> None:
        self.limit_name = limit_name
        self.block_size: int | None = None
        self.spare = 0

    def spend_spare(self) -> bool:
        """Spend one slot of the block held, and return False when none is left."""
        if self.spare == 0:
            return False
        self.spare -= 1
        return True

    def refill(self, seconds: float) -> None:
        """Record a new block taken in `seconds`, of which the caller spends one slot now."""
        assert self.block_size is not None
        self.spare = self.block_size - 1
        log_acquisition(self.limit_name, self.block_size, seconds)


class ConcurrencySlots(SlotBlock):
    """Slots of one global concurrency limit for the threads of one synchronous client.

    Args:
        limit_name: A Prefect global concurrency limit with slot decay.
    """

    def __init__(self, limit_name: str) -> None:
        super().__init__(limit_name)
        self._lock = threading.Lock()

    def take(self) -> None:
        """Block until one slot is held for the caller's request."""
        from prefect.concurrency.sync import rate_limit

        with self._lock:
            if self.spend_spare():
                return

            if self.block_size is None:
                self.block_size = block_size_for(read_limit(self.limit_name))

            # strict=True: a limit deleted since it was read raises instead of silently not pacing.
            started = time.monotonic()
            rate_limit(self.limit_name, occupy=self.block_size, strict=True)
            self.refill(time.monotonic() - started)


class AsyncConcurrencySlots(SlotBlock):
    """Slots of one global concurrency limit for the tasks of one asynchronous client.

    Args:
        limit_name: A Prefect global concurrency limit with slot decay.
    """

    def __init__(self, limit_name: str) -> None:
        super().__init__(limit_name)
        self._lock: asyncio.Lock | None = None

    async def take(self) -> None:
        """Wait until one slot is held for the caller's request."""
        from prefect.concurrency.asyncio import rate_limit

        if self._lock is None:
            # Created here, inside the running loop, so a client built outside one still works.
            self._lock = asyncio.Lock()

        async with self._lock:
            if self.spend_spare():
                return

            if self.block_size is None:
                self.block_size = block_size_for(await read_limit_async(self.limit_name))

            started = time.monotonic()
            await rate_limit(self.limit_name, occupy=self.block_size, strict=True)
            self.refill(time.monotonic() - started)
