"""Run the sandbox with uvicorn in a background thread, on a loopback port."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from rasl_prefect.sandbox.admin import SandboxAdmin
from rasl_prefect.sandbox.app import create_app
from rasl_prefect.sandbox.gateway import API_PREFIX, SandboxGateway
from rasl_prefect.sandbox.protocol import TransportExposingH11Protocol
from rasl_prefect.sandbox.state import SandboxSettings, SandboxState

STARTUP_TIMEOUT_SECONDS = 15.0


def build_uvicorn_config(
    app: SandboxGateway, host: str, port: int, log_level: str = "warning"
) -> uvicorn.Config:
    """Return the uvicorn configuration the sandbox needs: h11 with the abortable transport."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=TransportExposingH11Protocol,
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=30,
    )


class SandboxServer:
    """A running sandbox: its URLs, the seeded token, the admin client and the in-process state.

    Attributes:
        base_url: The API base URL, ending in `/api/v2`.
        root_url: The server root, where `/_sandbox` and `/openapi.json` live.
        token: The seeded token, with every scope.
        admin: A client of the admin API.
        state: The sandbox state, for tests that need to look inside.
    """

    def __init__(self, settings: SandboxSettings, host: str = "127.0.0.1", port: int = 0) -> None:
        self.settings = settings
        self.host = host
        self.state = SandboxState(settings)
        self.app = create_app(self.state)
        self._server = uvicorn.Server(build_uvicorn_config(self.app, host, port))
        self._thread: threading.Thread | None = None
        self.port = port
        self.admin: SandboxAdmin

    @property
    def token(self) -> str:
        """The seeded full-scope token."""
        return self.state.seeded_token

    @property
    def root_url(self) -> str:
        """The server root URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, ending in `/api/v2`."""
        return self.root_url + API_PREFIX

    def start(self) -> SandboxServer:
        """Start uvicorn in a daemon thread and wait until it listens.

        Raises:
            RuntimeError: The server did not start within 15 seconds.
        """
        self._thread = threading.Thread(target=self._server.run, name="rasl-sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"The sandbox did not start on {self.host}:{self.port}; is the port in use?"
                )
            time.sleep(0.01)
        socket = self._server.servers[0].sockets[0]
        self.port = int(socket.getsockname()[1])
        self.admin = SandboxAdmin(self.root_url)
        return self

    def stop(self) -> None:
        """Stop the server and the webhook thread, and close the state file."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if hasattr(self, "admin"):
            self.admin.close()
        self.app.app.state.webhooks.stop()  # type: ignore[attr-defined]
        self.state.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


@contextmanager
def run_sandbox(
    *,
    rpm: int = 60,
    window_seconds: float = 60.0,
    retry_after: bool = True,
    token: str | None = None,
    state_path: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[SandboxServer]:
    """Run a sandbox for the duration of the `with` block.

    Args:
        rpm: Requests per window of the seeded token.
        window_seconds: Length of a rate-limit window; small values make tests fast.
        retry_after: Whether 429 responses carry `Retry-After`.
        token: The seeded token value; random when None.
        state_path: SQLite file that keeps state across restarts; memory only when None.
        host: The loopback address to listen on.
        port: The port; 0 picks a free one.

    Yields:
        The running `SandboxServer` (`base_url`, `token`, `admin`).

    Examples:
        ```python
        import httpx
        from rasl_prefect.sandbox import run_sandbox

        with run_sandbox(rpm=600, window_seconds=1) as sandbox:
            headers = {"Authorization": f"Bearer {sandbox.token}"}
            print(httpx.get(f"{sandbox.base_url}/account", headers=headers).json()["data"]["name"])
        ```
    """
    settings = SandboxSettings(
        rpm=rpm,
        window_seconds=window_seconds,
        retry_after=retry_after,
        token=token,
        state_path=state_path,
    )
    server = SandboxServer(settings, host=host, port=port)
    with server:
        yield server
