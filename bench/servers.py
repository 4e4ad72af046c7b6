"""Processes the benchmark and the scale-out test start: a Prefect server, a sandbox and workers.

Every process listens on or talks to 127.0.0.1 only, runs with Prefect's telemetry off, and is
stopped by the context manager that started it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

QUIET_ENVIRONMENT = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
}
"""Telemetry off, and a startup timeout that survives a loaded machine."""

SERVER_STARTUP_SECONDS = 180.0
SANDBOX_STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0


def free_port() -> int:
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prefect_environment(prefect_home: Path, api_url: str) -> dict[str, str]:
    """Return the environment of a process that uses the benchmark's Prefect server."""
    return {
        **os.environ,
        **QUIET_ENVIRONMENT,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": api_url,
    }


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_SECONDS)


@contextmanager
def prefect_server(prefect_home: Path, port: int, log_path: Path) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1:`port` and yield its API URL once healthy.

    Raises:
        RuntimeError: The server exited or was not healthy within 180 seconds.
    """
    api_url = f"http://127.0.0.1:{port}/api"
    environment = {**os.environ, **QUIET_ENVIRONMENT, "PREFECT_HOME": str(prefect_home)}
    environment.pop("PREFECT_API_URL", None)
    command = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--analytics-off",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        try:
            _wait_until_healthy(process, f"{api_url}/health", log_path)
            yield api_url
        finally:
            _stop(process)


def _wait_until_healthy(process: subprocess.Popen[bytes], health_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"The Prefect server exited with code {process.returncode}; see {log_path}."
            )
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"The Prefect server was not healthy within {SERVER_STARTUP_SECONDS:.0f} s; see {log_path}."
    )


@dataclass
class SandboxProcess:
    """A sandbox running in its own process, so it does not share the client's interpreter."""

    base_url: str
    root_url: str
    token: str


@contextmanager
def sandbox_process(token: str, rpm: int, window_seconds: float) -> Iterator[SandboxProcess]:
    """Run `rasl-prefect sandbox` on a free loopback port with a seeded token of `token`.

    Raises:
        RuntimeError: The sandbox did not print its base URL within 60 seconds.
    """
    command = [
        sys.executable,
        "-m",
        "rasl_prefect.cli",
        "sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--rpm",
        str(rpm),
        "--window-seconds",
        str(window_seconds),
        "--token",
        token,
    ]
    environment = {**os.environ, **QUIET_ENVIRONMENT}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=environment
    )
    try:
        base_url = _read_base_url(process)
        root_url = base_url.removesuffix("/api/v2")
        yield SandboxProcess(base_url=base_url, root_url=root_url, token=token)
    finally:
        _stop(process)


def _read_base_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + SANDBOX_STARTUP_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        if line.startswith("RASL sandbox base URL: "):
            return line.split(": ", 1)[1].strip()
    raise RuntimeError("The sandbox process did not print its base URL; is the port free?")


def run_prefect_cli(arguments: list[str], environment: dict[str, str]) -> str:
    """Run a `prefect` CLI command and return its output.

    Raises:
        RuntimeError: The command failed; the message carries its output.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "prefect", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"`prefect {' '.join(arguments)}` failed with code {completed.returncode}: "
            f"{completed.stdout[-2000:]}{completed.stderr[-2000:]}"
        )
    return completed.stdout


@contextmanager
def process_workers(
    pool_name: str, count: int, environment: dict[str, str], log_directory: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Run `count` `prefect worker start` processes on a process work pool, one flow run each.

    The workers poll every second, so a shard starts soon after it is scheduled.
    """
    worker_environment = {**environment, "PREFECT_WORKER_QUERY_SECONDS": "1"}
    workers: list[subprocess.Popen[bytes]] = []
    logs = []
    try:
        for number in range(1, count + 1):
            log = (log_directory / f"worker-{number}.log").open("wb")
            logs.append(log)
            command = [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                pool_name,
                "--type",
                "process",
                "--name",
                f"{pool_name}-worker-{number}",
                "--limit",
                "1",
            ]
            workers.append(
                subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=worker_environment,
                    cwd=REPOSITORY_ROOT,
                )
            )
        yield workers
    finally:
        for worker in workers:
            _stop(worker)
        for log in logs:
            log.close()
