"""Measure dry-run throughput and peak memory of `scan_contact_file` on a generated export.

Not collected by pytest. Run it on an otherwise idle machine:

    PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 \\
        .venv/bin/python tests/importing/measure_throughput.py --rows 1000000 --workers 2

The export has first name, last name, phone, email and tag columns: 70 % clean
`+9665…` numbers, 15 % spaced `+971 50 …` numbers, 10 % national `05…` numbers
(read with default_region SA) and 5 % text that is not a number. Rows are capped at
5,000,000 so a typing slip cannot fill the disk.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

from rasl_prefect.importing import scan_contact_file  # noqa: E402

MAX_ROWS = 5_000_000


def write_export(path: Path, rows: int, seed: int) -> None:
    """Write a generated export of `rows` rows to `path`."""
    generator = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as stream:
        stream.write("First Name,Last Name,Phone,Email,Tag\n")
        for index in range(rows):
            draw = generator.random()
            if draw < 0.70:
                phone = f"+9665{generator.randrange(10**8):08d}"
            elif draw < 0.85:
                phone = f"+971 50 {generator.randrange(1000):03d} {generator.randrange(10000):04d}"
            elif draw < 0.95:
                phone = f"05{generator.randrange(10**8):08d}"
            else:
                phone = f"not-a-number-{index}"
            stream.write(
                f"Name{index},Family{index},{phone},user{index}@example.com,t{index % 9}\n"
            )


def main() -> None:
    """Generate the export, scan it once per requested worker count and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the export")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to measure"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed of the export")
    arguments = parser.parse_args()
    rows = min(arguments.rows, MAX_ROWS)

    with tempfile.TemporaryDirectory(prefix="rasl-throughput-") as directory:
        path = Path(directory) / "export.csv"
        write_export(path, rows, arguments.seed)
        print(f"export: {rows:,} rows, {path.stat().st_size / 1e6:.1f} MB")

        for workers in arguments.workers:
            cpu_started = time.process_time()
            summary = scan_contact_file(path, default_region="SA", workers=workers)
            cpu_seconds = time.process_time() - cpu_started
            self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(
                f"workers={workers}: {summary.rows:,} rows in {summary.seconds:.1f} s wall "
                f"= {summary.rows_per_second:,.0f} rows/s; main-process CPU {cpu_seconds:.1f} s; "
                f"peak RSS main {self_peak:.0f} MB, largest worker {children_peak:.0f} MB; "
                f"accepted {summary.accepted:,}, rejected {summary.rejected}"
            )


if __name__ == "__main__":
    main()
