"""A per-process cache of synchronous clients, so task runs reuse connections and pacing."""

from __future__ import annotations

import hashlib
import os
import threading
from typing import TYPE_CHECKING

from rasl_prefect.client.sync_client import RaslClient

if TYPE_CHECKING:
    from rasl_prefect.credentials import RaslCredentials

_clients: dict[tuple[object, ...], RaslClient] = {}
_clients_lock = threading.Lock()


def _cache_key(credentials: RaslCredentials) -> tuple[object, ...]:
    token_hash = hashlib.sha256(credentials.api_token.get_secret_value().encode()).hexdigest()
    return (
        # A forked child must not reuse the parent's connections.
        os.getpid(),
        credentials.base_url,
        credentials.auth_header,
        token_hash,
        credentials.requests_per_minute,
        credentials.timeout_seconds,
        credentials.max_retries,
        credentials.max_retry_wait_seconds,
        credentials.concurrency_limit_name,
    )


def get_cached_client(credentials: RaslCredentials) -> RaslClient:
    """Return the process's shared client for these credentials, creating it on first use.

    Clients are keyed by process id, base URL, auth header, a SHA-256 of the token and the other
    settings, so every thread and task run using the same token shares one connection pool and
    one rate limit pacer. The cache lives in this module: it is never stored on the block and
    never pickled. A closed client is replaced.

    Args:
        credentials: The block holding the token and its limits.

    Returns:
        The shared `RaslClient`; do not close it.
    """
    key = _cache_key(credentials)
    with _clients_lock:
        client = _clients.get(key)
        if client is None or client.is_closed:
            client = RaslClient.from_credentials(credentials)
            _clients[key] = client
        return client


def clear_client_cache() -> None:
    """Close and forget every cached client, for tests and for processes that rotate tokens."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()
