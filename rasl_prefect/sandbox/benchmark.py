"""Measure Send Template requests per second against a sandbox in its own process.

Run with `python -m rasl_prefect.sandbox.benchmark [--requests N] [--max-seconds S]`. It starts
`rasl-prefect sandbox` on a free 127.0.0.1 port, sends at most N requests (default 3000) or
stops after S seconds (default 30) with one keep-alive `httpx.Client`, prints the rate and stops
the server. Client and server share the machine's cores.
"""

from __future__ import annotations

import argparse
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


def measure(requests: int, max_seconds: float) -> tuple[int, float, float]:
    """Send up to `requests` Send Template requests in `max_seconds`.

    Returns:
        The requests sent, the wall-clock seconds and the server's CPU seconds for them.
    """
    token = "sbx_benchmark_" + secrets.token_hex(8)
    with sandbox_process(token) as (base_url, pid):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
            body = {
                "phone": "+966500000011",
                "template_name": "order_confirmation",
                "language": "ar",
                "field_1": "سارة",
                "field_2": "A-1001",
                "field_3": "120 SAR",
            }
            # One warm-up request creates the contact and the chat.
            client.post("/messages/template", json=body).raise_for_status()

            sent = 0
            cpu_before = process_cpu_seconds(pid)
            started = time.perf_counter()
            deadline = started + max_seconds
            while sent < requests and time.perf_counter() < deadline:
                response = client.post("/messages/template", json=body)
                if response.status_code != 201:
                    raise RuntimeError(
                        f"Send Template failed with HTTP {response.status_code}: {response.text}"
                    )
                sent += 1
            seconds = time.perf_counter() - started
            return sent, seconds, process_cpu_seconds(pid) - cpu_before


def main() -> None:
    """Parse the options, run the measurement and print the rate."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=3000, help="Maximum requests to send.")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="Maximum seconds to run.")
    args = parser.parse_args()

    sent, seconds, server_cpu = measure(args.requests, args.max_seconds)
    load = os.getloadavg()[0]
    print(
        f"{sent} Send Template requests in {seconds:.2f} s: {sent / seconds:.0f} requests/s "
        f"(one keep-alive client, {os.cpu_count()} CPUs, load average {load:.1f})"
    )
    per_request_ms = server_cpu * 1000 / sent
    print(
        f"server CPU {per_request_ms:.2f} ms per request: about {1000 / per_request_ms:.0f} "
        "requests/s if the server had one core to itself"
    )


if __name__ == "__main__":
    main()
