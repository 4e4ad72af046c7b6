"""Measure Send Template requests per second against a sandbox in its own process.

Run with `python -m rasl_prefect.sandbox.benchmark [--requests N] [--max-seconds S]`. It starts
`rasl-prefect sandbox` on a free 127.0.0.1 port, sends at most N requests (default 3000) or
stops after S seconds (default 30) over keep-alive connections (`--concurrency 1`: one
`httpx.Client`; more: one `httpx.AsyncClient` with that many requests in flight), prints the rate
and the CPU time per request, and stops the server. Client and server share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

STARTUP_TIMEOUT_SECONDS = 60.0


def process_cpu_seconds(pid: int) -> float:
    """Return the user plus system CPU seconds a Linux process has used so far."""
    with open(f"/proc/{pid}/stat") as stat_file:
        fields = stat_file.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of /proc/PID/stat, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def sandbox_process(token: str) -> Iterator[tuple[str, int]]:
    """Start `rasl-prefect sandbox` on a free loopback port and yield its base URL and pid."""
    command = [
        sys.executable,
        "-m",
        "rasl_prefect.cli",
        "sandbox",
        "--port",
        "0",
        "--rpm",
        "100000000",
        "--token",
        token,
    ]
    environment = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment)
    try:
        base_url = None
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        assert process.stdout is not None
        while base_url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("RASL sandbox base URL: "):
                base_url = line.split(": ", 1)[1].strip()
        if base_url is None:
            raise RuntimeError("The sandbox process did not print its base URL.")
        yield base_url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


SEND_TEMPLATE_BODY = {
    "phone": "+966500000011",
    "template_name": "order_confirmation",
    "language": "ar",
    "field_1": "سارة",
    "field_2": "A-1001",
    "field_3": "120 SAR",
}


def _check(response: httpx.Response) -> None:
    if response.status_code != 201:
        raise RuntimeError(
            f"Send Template failed with HTTP {response.status_code}: {response.text}"
        )


def send_sequentially(
    base_url: str, headers: dict[str, str], requests: int, deadline: float
) -> int:
    """Send one request after another on one keep-alive connection; return how many were sent."""
    sent = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        while sent < requests and time.perf_counter() < deadline:
            _check(client.post("/messages/template", json=SEND_TEMPLATE_BODY))
            sent += 1
    return sent


async def send_concurrently(
    base_url: str, headers: dict[str, str], requests: int, deadline: float, concurrency: int
) -> int:
    """Send from `concurrency` tasks sharing one `AsyncClient`; return how many were sent."""
    sent = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=10, limits=limits
    ) as client:

        async def worker() -> None:
            nonlocal sent
            while sent < requests and time.perf_counter() < deadline:
                sent += 1
                _check(await client.post("/messages/template", json=SEND_TEMPLATE_BODY))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return sent


def measure(requests: int, max_seconds: float, concurrency: int) -> tuple[int, float, float, float]:
    """Send up to `requests` Send Template requests in `max_seconds`.

    Returns:
        The requests sent, the wall-clock seconds, and the server's and the client's CPU
        seconds for them.
    """
    token = "sbx_benchmark_" + secrets.token_hex(8)
    with sandbox_process(token) as (base_url, pid):
        headers = {"Authorization": f"Bearer {token}"}
        # One warm-up request creates the contact and the chat.
        _check(
            httpx.post(f"{base_url}/messages/template", json=SEND_TEMPLATE_BODY, headers=headers)
        )

        cpu_before = process_cpu_seconds(pid)
        client_cpu_before = time.process_time()
        started = time.perf_counter()
        deadline = started + max_seconds
        if concurrency == 1:
            sent = send_sequentially(base_url, headers, requests, deadline)
        else:
            sent = asyncio.run(
                send_concurrently(base_url, headers, requests, deadline, concurrency)
            )
        seconds = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu_before
        return sent, seconds, process_cpu_seconds(pid) - cpu_before, client_cpu


def main() -> None:
    """Parse the options, run the measurement and print the rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="Maximum requests to send.")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="Maximum seconds to run.")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="Requests in flight: 1 uses a sync httpx.Client, more an httpx.AsyncClient.",
    )
    args = parser.parse_args()

    sent, seconds, server_cpu, client_cpu = measure(
        args.requests, args.max_seconds, args.concurrency
    )
    load = os.getloadavg()[0]
    print(
        f"{sent} Send Template requests in {seconds:.2f} s: {sent / seconds:.0f} requests/s "
        f"(keep-alive, concurrency {args.concurrency}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f})"
    )
    server_ms = server_cpu * 1000 / sent
    client_ms = client_cpu * 1000 / sent
    print(
        f"server CPU {server_ms:.2f} ms per request: about {1000 / server_ms:.0f} "
        "requests/s if the server had one core to itself"
    )
    print(f"client CPU {client_ms:.2f} ms per request")


if __name__ == "__main__":
    main()
