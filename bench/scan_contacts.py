"""Dry-run the contact file reader over one file and print rows/s and peak RSS as JSON.

Run by `bench/run.py` in a process of its own, so the peak RSS is the reading path's alone:
`python bench/scan_contacts.py FILE`.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rasl_prefect.importing.summary import scan_contact_file  # noqa: E402


def main() -> None:
    """Scan the file named on the command line and print one JSON object."""
    summary = scan_contact_file(sys.argv[1])
    # ru_maxrss is in kibibytes on Linux.
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "rows": summary.rows,
                "accepted": summary.accepted,
                "seconds": round(summary.seconds, 3),
                "rows_per_second": round(summary.rows_per_second),
                "peak_rss_mb": round(peak_rss_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
