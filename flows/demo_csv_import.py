"""Run `csv_import` end to end on the local RASL sandbox with the demo contacts file.

The demo starts a sandbox on 127.0.0.1, imports `flows/data/demo_contacts.csv` into it under
Prefect's temporary local server, prints the report, then reads the sandbox back over its API
and checks the report's counts against what it holds. Nothing leaves this machine.

Run it with `bash scripts/demo.sh`, or `python flows/demo_csv_import.py` in the project's venv.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Prefect sends telemetry unless it is turned off, so set this before importing Prefect.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

# Every demo starts an empty sandbox, so it also needs empty result storage: the send ledger and
# the finished chunks of an earlier demo would otherwise count as already sent.
os.environ["PREFECT_LOCAL_STORAGE_PATH"] = tempfile.mkdtemp(prefix="rasl-demo-results-")
os.environ.pop("PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK", None)

import httpx  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flows.csv_import import csv_import  # noqa: E402
from rasl_prefect import RaslCredentials  # noqa: E402
from rasl_prefect.campaign import CsvImportReport  # noqa: E402
from rasl_prefect.sandbox import run_sandbox  # noqa: E402

DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo_contacts.csv"
DEMO_GROUP = "Demo customers"


def count_in_sandbox(base_url: str, token: str, path: str, params: dict[str, str]) -> int:
    """Return how many objects a sandbox list endpoint holds, walking every page."""
    headers = {"Authorization": f"Bearer {token}"}
    total = 0
    page = 1
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as http:
        while True:
            response = http.get(path, params={**params, "page": page, "per_page": 100})
            response.raise_for_status()
            items = response.json()["data"]
            total += len(items)
            if len(items) < 100:
                return total
            page += 1


def print_report(report: CsvImportReport) -> None:
    """Print the report's counts and problem rows."""
    print()
    print(report.summary_markdown())
    print()
    for row in report.problem_table():
        print(f"  line {row['line']}: {row['problem']} {row['phone']}: {row['reason']}")


def check_against_sandbox(report: CsvImportReport, base_url: str, token: str) -> bool:
    """Compare the report with the contacts, group members and messages the sandbox holds."""
    contacts = count_in_sandbox(base_url, token, "/contacts", {})
    members = count_in_sandbox(
        base_url, token, "/contacts", {"filter[group_id]": str(report.group_id)}
    )
    messages = count_in_sandbox(base_url, token, "/messages", {"filter[type]": "template"})

    checks = [
        ("contacts", report.contacts_created + report.contacts_existing, contacts),
        ("group members", report.contacts_added_to_group, members),
        ("template messages", report.messages_sent, messages),
    ]
    print("\nWhat the sandbox holds:")
    for name, reported, held in checks:
        verdict = "matches" if reported == held else "DIFFERS"
        print(f"  {name}: report {reported}, sandbox {held}: {verdict}")
    return all(reported == held for _, reported, held in checks)


def main() -> int:
    """Run the demo import and return 0 when the report matches the sandbox."""
    with run_sandbox(rpm=60, window_seconds=60) as sandbox:
        credentials = RaslCredentials(
            api_token=sandbox.token, base_url=sandbox.base_url, requests_per_minute=60
        )
        report = csv_import(
            source=str(DEMO_FILE),
            credentials=credentials,
            group_name=DEMO_GROUP,
            template_name="welcome_offer",
            language="en",
            template_fields=["@{contact_first_name}"],
            default_region="SA",
            source_id=1,
            status_id=1,
        )
        print_report(report)
        matches = check_against_sandbox(report, sandbox.base_url, sandbox.token)
    return 0 if matches else 1


if __name__ == "__main__":
    sys.exit(main())
