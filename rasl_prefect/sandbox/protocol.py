"""An h11 protocol that lets the app abort its connection, to emulate resets and lost responses.

uvicorn's h11 protocol does not give the ASGI app its transport. This subclass puts the
transport into each request's `scope["state"]`, so the sandbox can call `transport.abort()`.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

TRANSPORT_STATE_KEY = "rasl_sandbox_transport"
"""Key of the connection's asyncio transport in `scope["state"]`."""


class TransportExposingH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus the transport in every request's `scope["state"]`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        # uvicorn copies app_state into each request's scope["state"].
        self.app_state = {**self.app_state, TRANSPORT_STATE_KEY: transport}
        super().connection_made(transport)
