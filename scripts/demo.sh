#!/usr/bin/env bash
# Create .venv if needed, then import the demo contacts file into a local RASL sandbox with
# the csv_import flow under Prefect's temporary local server, and print the report.
set -euo pipefail
cd "$(dirname "$0")/.."

export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1

bash scripts/bootstrap.sh
.venv/bin/python flows/demo_csv_import.py
