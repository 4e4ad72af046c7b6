"""Run `csv_import` once in this process, for the crash tests that kill it with SIGKILL.

Usage: `python -m tests.reliability.crash_run CONTACTS_FILE REPORT_FILE`, with the sandbox's
token and base URL in `RASL_TEST_TOKEN` and `RASL_TEST_BASE_URL`. The report is written as JSON
when the flow run ends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flows.csv_import import csv_import
from rasl_prefect import RaslCredentials
from tests.reliability.support import IMPORT_SOURCE_ID, NEW_STATUS_ID

CAMPAIGN_ID = "crash-campaign"
BATCH_SIZE = 50


def main(contacts_file: str, report_file: str) -> None:
    """Import `contacts_file` with the welcome template and write the report to `report_file`."""
    credentials = RaslCredentials(
        api_token=os.environ["RASL_TEST_TOKEN"],
        base_url=os.environ["RASL_TEST_BASE_URL"],
        requests_per_minute=100_000,
    )

    report = csv_import(
        source=contacts_file,
        credentials=credentials,
        group_name="Crash campaign",
        template_name="welcome_offer",
        template_fields=["First Name"],
        source_id=IMPORT_SOURCE_ID,
        status_id=NEW_STATUS_ID,
        campaign_id=CAMPAIGN_ID,
        batch_size=BATCH_SIZE,
    )

    Path(report_file).write_text(report.model_dump_json(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
