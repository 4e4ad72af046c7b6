#!/usr/bin/env bash
# Create .venv and install the project with the versions pinned in requirements/lock.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet "uv>=0.4"
fi

if [ ! -x .venv/bin/python ]; then
    uv venv --quiet --python "${PYTHON:-python3}" .venv
fi

VIRTUAL_ENV=.venv uv pip install --quiet -r requirements/lock.txt
VIRTUAL_ENV=.venv uv pip install --quiet --no-deps -e .
