"""Run a local RASL API v2 sandbox on a loopback address."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys

import uvicorn

from rasl_prefect.sandbox.app import create_app
from rasl_prefect.sandbox.gateway import API_PREFIX
from rasl_prefect.sandbox.server import build_uvicorn_config
from rasl_prefect.sandbox.state import SandboxSettings, SandboxState

TOKEN_ENVIRONMENT_VARIABLE = "RASL_SANDBOX_TOKEN"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the sandbox options to `parser`."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1)."
    )
    parser.add_argument(
        "--port", type=int, default=8787, help="TCP port (default 8787; 0 picks a free one)."
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENVIRONMENT_VARIABLE),
        help=f"Value of the seeded full-scope token (default: ${TOKEN_ENVIRONMENT_VARIABLE}, else "
        "random).",
    )
    parser.add_argument(
        "--rpm", type=int, default=60, help="Requests per window of the seeded token (default 60)."
    )
    parser.add_argument(
        "--window-seconds",
        type=float,
        default=60.0,
        help="Length of a rate-limit window in seconds (default 60).",
    )
    parser.add_argument(
        "--no-retry-after",
        action="store_true",
        help="Send 429 responses without a Retry-After header.",
    )
    parser.add_argument(
        "--state", metavar="FILE", help="SQLite file that keeps state across restarts."
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=("debug", "info", "warning", "error"),
        help="uvicorn log level (default warning).",
    )


def run(args: argparse.Namespace) -> int:
    """Start the sandbox and serve until interrupted; returns the exit status."""
    if args.rpm < 1 or args.window_seconds <= 0:
        print("--rpm must be at least 1 and --window-seconds greater than 0.", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = SandboxSettings(
        rpm=args.rpm,
        window_seconds=args.window_seconds,
        retry_after=not args.no_retry_after,
        token=args.token,
        state_path=args.state,
    )
    state = SandboxState(settings)
    app = create_app(state)
    server = uvicorn.Server(build_uvicorn_config(app, args.host, args.port, args.log_level))

    if not _is_loopback(args.host):
        print(
            f"Warning: {args.host} is not a loopback address; the admin API under /_sandbox has no "
            "authentication, so anyone who can reach this port can change the sandbox.",
            file=sys.stderr,
        )

    original_startup = server.startup

    async def startup_and_announce(sockets: list | None = None) -> None:  # type: ignore[type-arg]
        await original_startup(sockets)
        if server.started:
            port = server.servers[0].sockets[0].getsockname()[1]
            host = f"[{args.host}]" if ":" in args.host else args.host
            print(f"RASL sandbox base URL: http://{host}:{port}{API_PREFIX}", flush=True)
            if args.token:
                # The caller chose the value, so it is not echoed to the terminal or a log file.
                print(
                    "Seeded token (all scopes): the value of --token or "
                    f"${TOKEN_ENVIRONMENT_VARIABLE}",
                    flush=True,
                )
            else:
                print(f"Seeded token (all scopes): {state.seeded_token}", flush=True)
            print(
                f"Admin API: http://{host}:{port}/_sandbox   OpenAPI: "
                f"http://{host}:{port}/openapi.json",
                flush=True,
            )

    server.startup = startup_and_announce  # type: ignore[method-assign]
    try:
        server.run()
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl+C after its graceful shutdown; that is a normal stop here.
        pass
    finally:
        app.app.state.webhooks.stop()  # type: ignore[attr-defined]
        state.close()
    return 0 if server.started else 1


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
