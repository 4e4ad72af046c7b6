"""Benchmark rasl-prefect against its targets on a local sandbox and a local Prefect server.

Run `python bench/run.py --quick` (smaller sizes, about three minutes) or `python bench/run.py`
(default sizes, steadier figures). The script starts a Prefect server (`prefect server start`
on a free 127.0.0.1 port, with its own PREFECT_HOME in a temporary directory) and a RASL sandbox
in a separate process. It prints one table of figures, then one JSON object as its last line.
Nothing leaves 127.0.0.1, and every loop is bounded in count and in time.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY_ROOT))

from bench.contacts import write_contacts_csv  # noqa: E402
from bench.servers import (  # noqa: E402
    QUIET_ENVIRONMENT,
    free_port,
    prefect_server,
    run_prefect_cli,
    sandbox_process,
)


@dataclass(frozen=True)
class Sizes:
    """How much each measurement sends or reads."""

    keepalive_requests: int
    throughput_contacts: int
    task_per_message_contacts: int
    pacing_contacts: int
    csv_rows: int
    scaleout_contacts: int


QUICK = Sizes(
    keepalive_requests=2_000,
    throughput_contacts=2_000,
    task_per_message_contacts=300,
    pacing_contacts=1_200,
    csv_rows=100_000,
    scaleout_contacts=1_200,
)
FULL = Sizes(
    keepalive_requests=5_000,
    throughput_contacts=10_000,
    task_per_message_contacts=300,
    pacing_contacts=4_000,
    csv_rows=1_000_000,
    scaleout_contacts=2_000,
)

MEASUREMENT_SECONDS = 60.0
"""Upper bound of each plain HTTP loop."""

UNLIMITED_RPM = 100_000_000
"""The seeded sandbox token's requests per window: never reached, so no pacing applies."""

PACED_LIMIT = 200
PACED_WINDOW_SECONDS = 5
"""The paced tokens allow 200 requests per 5-second window (2,400 per minute)."""

SCALEOUT_SLOT_HEADROOM = 40
"""Slots of the scale-out limit above one window's requests: each worker holds up to one block of
20 slots, and the clients' pacers keep every window within the token's limit."""

RAW_CONCURRENCY = 8

GCL_PROBE_SLOTS = 200
"""Slots taken one by one to time a global concurrency limit acquisition."""

# Row offsets keep the phones of every file in this run distinct.
OFFSET_THROUGHPUT = 0
OFFSET_TASK_PER_MESSAGE = 2_000_000
OFFSET_PACING = 3_000_000
OFFSET_SCALEOUT = 4_000_000


STAGE_NAMES = ["keepalive", "throughput", "task-per-message", "pacing", "contact-file", "scaleout"]
"""The measurements `--only` can select."""


class Results:
    """The figures measured so far, with the rows of the printed table."""

    def __init__(self) -> None:
        self.figures: dict[str, float | int | None] = {}
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.errors: dict[str, str] = {}

    def add(
        self,
        key: str | None,
        label: str,
        value: float | int | None,
        *,
        anchor: str = "",
        ratio: str = "",
        target: str = "",
        digits: int = 3,
    ) -> None:
        """Record a figure under `key` (None: table only) and add its table row."""
        if key is not None:
            self.figures[key] = round(value, digits) if isinstance(value, float) else value
        formatted = (
            "n/a"
            if value is None
            else (f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}")
        )
        self.rows.append((label, formatted, anchor, ratio, target))

    def stage(self, name: str, keys: list[str], measure: Callable[[], None]) -> None:
        """Run one measurement; on failure print the error and record its keys as None."""
        print(f"--- {name}", flush=True)
        started = time.perf_counter()
        try:
            measure()
        except Exception as error:  # noqa: BLE001 - one failed measurement must not stop the rest
            traceback.print_exc()
            self.errors[name] = f"{type(error).__name__}: {error}"
            for key in keys:
                self.figures.setdefault(key, None)
        print(f"--- {name}: {time.perf_counter() - started:.1f} s", flush=True)

    def print_table(self) -> None:
        """Print the figures as one aligned table."""
        header = ("figure", "measured", "anchor", "ratio", "target")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(5)]
        for row in [header, tuple("-" * width for width in widths), *self.rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def parse_arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="Run the smaller sizes, in about three minutes."
    )
    parser.add_argument(
        "--skip-scaleout",
        action="store_true",
        help="Leave out the two-worker run, which needs `prefect worker start` processes.",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=STAGE_NAMES,
        help="Run only this measurement; repeat the option to run several.",
    )
    return parser.parse_args()


def main() -> int:
    """Start the servers, run every measurement and print the table and the JSON line."""
    arguments = parse_arguments()
    sizes = QUICK if arguments.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="rasl-bench-"))
    prefect_home = workdir / "prefect-home"
    port = free_port()

    # Prefect reads its settings from the environment, so they are set before it is imported.
    os.environ.update(QUIET_ENVIRONMENT)
    os.environ["PREFECT_HOME"] = str(prefect_home)
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"

    results = Results()
    started = time.perf_counter()
    print(f"Working directory: {workdir}", flush=True)

    with prefect_server(prefect_home, port, workdir / "prefect-server.log") as api_url:
        token = "sbx_bench_" + secrets.token_hex(12)
        with sandbox_process(token, rpm=UNLIMITED_RPM, window_seconds=60) as sandbox:
            from rasl_prefect.sandbox import SandboxAdmin

            admin = SandboxAdmin(sandbox.root_url)
            try:
                run_measurements(results, sizes, sandbox, admin, api_url, workdir, arguments)
            finally:
                admin.close()

    results.add(None, "benchmark wall time (s)", time.perf_counter() - started, digits=0)
    print()
    print(f"Sizes: {sizes}")
    results.print_table()
    if results.errors:
        print(f"Failed measurements: {results.errors}")
    print(json.dumps(results.figures))
    return 0 if not results.errors else 1


def run_measurements(
    results: Results,
    sizes: Sizes,
    sandbox: Any,
    admin: Any,
    api_url: str,
    workdir: Path,
    arguments: argparse.Namespace,
) -> None:
    """Run the measurements in order; each records its figures in `results`."""
    from bench import scenarios
    from bench.windows import token_windows, window_figures
    from rasl_prefect import RaslCredentials

    unlimited = RaslCredentials(
        api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=UNLIMITED_RPM
    )
    state: dict[str, float] = {}

    def keepalive() -> None:
        rate = scenarios.measure_keepalive_rate(
            sandbox.base_url, sandbox.token, sizes.keepalive_requests, MEASUREMENT_SECONDS
        )
        state["keepalive"] = rate
        results.add(
            "sandbox_requests_per_second",
            "sandbox Send Template, keep-alive client (req/s)",
            rate,
            anchor="target 500",
            ratio=f"{rate / 500:.2f}",
            target=">= 500",
            digits=0,
        )

    def raw_httpx() -> None:
        # The campaign created these contacts, so both send to existing contacts.
        rate = scenarios.measure_raw_httpx_rate(
            sandbox.base_url,
            sandbox.token,
            sizes.throughput_contacts,
            OFFSET_THROUGHPUT,
            RAW_CONCURRENCY,
            MEASUREMENT_SECONDS,
        )
        state["raw"] = rate
        campaign_rate = state.get("campaign")
        results.add(
            None,
            f"plain httpx.AsyncClient, concurrency {RAW_CONCURRENCY} (contacts/s)",
            rate,
            anchor="same requests, same sandbox",
            digits=0,
        )
        results.add(
            None,
            "csv_import, no rate limit (contacts/s)",
            campaign_rate,
            anchor=f"{rate:,.0f} plain httpx",
            digits=0,
        )
        results.add(
            "throughput_ratio_vs_raw_httpx",
            "  csv_import / plain httpx",
            campaign_rate / rate if campaign_rate else None,
            target=">= 0.8",
        )

    def campaign() -> None:
        source = write_contacts_csv(
            workdir / "throughput.csv", sizes.throughput_contacts, offset=OFFSET_THROUGHPUT
        )
        first = scenarios.run_campaign(admin, unlimited, source, "Bench throughput")
        check_all_sent(first.report.messages_sent, sizes.throughput_contacts, "throughput")
        state["campaign"] = first.report.messages_sent / first.seconds
        per_contact = first.requests["total"] / sizes.throughput_contacts
        results.add(
            "requests_per_contact",
            "requests per new contact",
            per_contact,
            anchor=f"{first.requests['total']:,} requests",
            target="<= 1.03",
        )

        chunks = -(-sizes.throughput_contacts // 100)
        task_runs = scenarios.count_task_runs(api_url, first.flow_run_id, expected=chunks)
        results.add(
            "task_runs_per_1000_contacts",
            "task runs per 1,000 contacts",
            1000 * task_runs / sizes.throughput_contacts,
            anchor=f"{task_runs} task runs recorded",
            target="<= 15",
            digits=1,
        )

        rerun = scenarios.run_campaign(admin, unlimited, source, "Bench throughput")
        results.add(
            "requests_per_contact_rerun",
            "requests per contact, re-run of a finished campaign",
            rerun.requests["total"] / sizes.throughput_contacts,
            anchor=f"{rerun.requests['total']} requests, {rerun.seconds:.1f} s",
            target="<= 0.05",
            digits=4,
        )
        results.add(
            None,
            "  messages sent again by the re-run",
            rerun.report.messages_sent,
            anchor=f"{rerun.report.messages_already_sent:,} already sent",
            target="0",
        )

    def task_per_message() -> None:
        rate = scenarios.measure_task_per_message_rate(
            unlimited, sizes.task_per_message_contacts, OFFSET_TASK_PER_MESSAGE
        )
        raw = state.get("raw")
        results.add(
            None,
            f"one task run per message, {sizes.task_per_message_contacts} messages (contacts/s)",
            rate,
            anchor=f"{raw:,.0f} plain httpx" if raw else "",
            digits=1,
        )
        results.add(
            "task_per_message_ratio_vs_raw_httpx",
            "  one task run per message / plain httpx",
            rate / raw if raw else None,
        )

    def pacing() -> None:
        paced_token = admin.create_token(
            name="pacing", rpm=PACED_LIMIT, window_seconds=PACED_WINDOW_SECONDS
        )["token"]
        credentials = RaslCredentials(
            api_token=paced_token,
            base_url=sandbox.base_url,
            requests_per_minute=PACED_LIMIT * 60 // PACED_WINDOW_SECONDS,
        )
        source = write_contacts_csv(
            workdir / "pacing.csv", sizes.pacing_contacts, offset=OFFSET_PACING
        )
        run = scenarios.run_campaign(admin, credentials, source, "Bench pacing")
        check_all_sent(run.report.messages_sent, sizes.pacing_contacts, "pacing")
        windows = token_windows(admin.stats(), "pacing")
        figures = window_figures(windows, run.started, run.finished, PACED_WINDOW_SECONDS)
        results.add(
            "pacing_utilization",
            "pacing: accepted per full window / limit",
            figures.utilization,
            anchor=f"{PACED_LIMIT} per {PACED_WINDOW_SECONDS} s, {figures.full_windows} windows",
            target=">= 0.98",
        )
        results.add(
            "pacing_time_utilization",
            "  requests per second / (limit / window)",
            figures.time_utilization,
            anchor="pauses between windows count",
        )
        results.add("pacing_429s", "pacing: 429 responses", run.requests.get("429", 0), target="0")

    def contact_file() -> None:
        source = write_contacts_csv(workdir / "scan.csv", sizes.csv_rows, offset=0)
        figures = scenarios.measure_contact_file_scan(source)
        results.add(
            "csv_rows_per_second",
            f"dry run of a {sizes.csv_rows:,}-row export (rows/s)",
            figures["rows_per_second"],
            anchor=f"{figures['seconds']} s",
            target=">= 50,000",
            digits=0,
        )
        results.add(
            "csv_peak_rss_mb",
            "  peak RSS of the reading process (MB)",
            figures["peak_rss_mb"],
            target="<= 200",
            digits=1,
        )

    def scaleout() -> None:
        from bench.scaleout import prepare_pool, run_sharded_campaign

        limit_name = "rasl-bench-token"
        scaleout_token = admin.create_token(
            name="scaleout", rpm=PACED_LIMIT, window_seconds=PACED_WINDOW_SECONDS
        )["token"]
        RaslCredentials(
            api_token=scaleout_token,
            base_url=sandbox.base_url,
            requests_per_minute=PACED_LIMIT * 60 // PACED_WINDOW_SECONDS,
            concurrency_limit_name=limit_name,
        ).save("rasl-bench-scaleout", overwrite=True)
        deployment = prepare_pool(
            "rasl-bench",
            limit_name,
            PACED_LIMIT + SCALEOUT_SLOT_HEADROOM,
            PACED_LIMIT / PACED_WINDOW_SECONDS,
            api_url,
        )
        source = write_contacts_csv(
            workdir / "scaleout.csv", sizes.scaleout_contacts, offset=OFFSET_SCALEOUT
        )
        run = run_sharded_campaign(
            admin=admin,
            api_url=api_url,
            pool_name="rasl-bench",
            deployment_name=deployment,
            credentials_block_name="rasl-bench-scaleout",
            source=source,
            group_name="Bench scale-out",
            shard_count=2,
            log_directory=workdir,
        )
        check_all_sent(
            run.report.totals.get("messages_sent", 0), sizes.scaleout_contacts, "scale-out"
        )
        windows = token_windows(admin.stats(), "scaleout")
        figures = window_figures(windows, run.sending_started, run.finished, PACED_WINDOW_SECONDS)
        print_windows(windows, run.sending_started, run.finished)
        rate_limited = run.requests.get("429", 0)
        results.add(
            "scaleout_utilization",
            "2 workers, 1 token: accepted per full window / limit",
            figures.utilization,
            anchor=f"{PACED_LIMIT} per {PACED_WINDOW_SECONDS} s, {figures.full_windows} windows",
            target=">= 0.95",
        )
        results.add(
            "scaleout_time_utilization",
            "  requests per second / (limit / window)",
            figures.time_utilization,
        )
        results.add(
            "scaleout_429_rate",
            "  429 responses / requests",
            rate_limited / max(run.requests["total"], 1),
            anchor=f"{rate_limited} of {run.requests['total']:,}",
            target="<= 0.005",
            digits=4,
        )
        # A limit this large never blocks, so the figure is the cost of one acquisition.
        run_prefect_cli(
            [
                "gcl",
                "create",
                "rasl-bench-probe",
                "--limit",
                "100000",
                "--slot-decay-per-second",
                "1000",
            ],
            dict(os.environ),
        )
        slots_per_second = scenarios.measure_rate_limit_slots(
            "rasl-bench-probe", GCL_PROBE_SLOTS, MEASUREMENT_SECONDS
        )
        results.add(
            "rate_limit_slots_per_second",
            "  Prefect rate_limit() slots per second, one process",
            slots_per_second,
            anchor=f"token allows {PACED_LIMIT / PACED_WINDOW_SECONDS:.0f}/s",
            digits=1,
        )
        results.add(
            None,
            "  messages sent by the shards",
            run.report.totals.get("messages_sent"),
            anchor=f"{sizes.scaleout_contacts:,} contacts",
        )

    stages: list[tuple[str, str, list[str], Callable[[], None]]] = [
        ("keepalive", "sandbox keep-alive rate", ["sandbox_requests_per_second"], keepalive),
        (
            "throughput",
            "csv_import throughput, requests and task runs",
            ["requests_per_contact", "requests_per_contact_rerun", "task_runs_per_1000_contacts"],
            campaign,
        ),
        ("throughput", "plain httpx loop", ["throughput_ratio_vs_raw_httpx"], raw_httpx),
        (
            "task-per-message",
            "one task run per message",
            ["task_per_message_ratio_vs_raw_httpx"],
            task_per_message,
        ),
        ("pacing", "pacing under the token's limit", ["pacing_utilization", "pacing_429s"], pacing),
        (
            "contact-file",
            "contact file dry run",
            ["csv_rows_per_second", "csv_peak_rss_mb"],
            contact_file,
        ),
        (
            "scaleout",
            "two workers on one token",
            ["scaleout_utilization", "scaleout_429_rate"],
            scaleout,
        ),
    ]
    for short_name, name, keys, measure in stages:
        if arguments.only and short_name not in arguments.only:
            continue
        if short_name == "scaleout" and arguments.skip_scaleout:
            continue
        results.stage(name, keys, measure)


def print_windows(windows: list[dict[str, Any]], started: float, finished: float) -> None:
    """Print the accepted and rejected requests of each window of a run, for a closer look."""
    for window in windows:
        if started <= window["start"] <= finished:
            offset = window["start"] - started
            print(
                f"    window at +{offset:5.1f} s: {window['accepted']} accepted, "
                f"{window.get('rejected', 0)} rejected",
                flush=True,
            )


def check_all_sent(sent: int, contacts: int, name: str) -> None:
    """Raise RuntimeError unless the campaign sent one message per contact."""
    if sent != contacts:
        raise RuntimeError(
            f"the {name} campaign sent {sent} messages to {contacts} contacts; read its report "
            "artifacts in the Prefect UI for the rejected rows and failed sends."
        )


if __name__ == "__main__":
    sys.exit(main())
