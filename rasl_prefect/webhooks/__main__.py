"""Run the webhook receiver with `python -m rasl_prefect.webhooks`."""

from __future__ import annotations

import argparse
import sys

from rasl_prefect.webhooks.cli import add_arguments, run


def main() -> int:
    """Parse the command line and serve the receiver."""
    parser = argparse.ArgumentParser(prog="python -m rasl_prefect.webhooks")
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
