#!/usr/bin/env bash
# Create .venv (with uv when it is available), install the project with its test extras from
# the lock file, then run the linters and the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

export PREFECT_SERVER_ANALYTICS_ENABLED=false
export DO_NOT_TRACK=1

bash scripts/bootstrap.sh

.venv/bin/ruff check .
.venv/bin/mypy
# Two workers: most of the suite's time is spent waiting on servers and subprocesses.
# Each worker starts its own Prefect test server and sandbox; tests of one file stay together.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
