"""The `rasl-prefect` command: subcommands loaded from modules that may or may not be installed."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

SUBCOMMANDS = {
    "sandbox": "rasl_prefect.sandbox.cli",
    "webhooks": "rasl_prefect.webhooks.cli",
}
"""Subcommand name to the module that provides `add_arguments(parser)` and `run(args) -> int`."""


def _load(module_name: str) -> ModuleType | None:
    """Import a subcommand module, or return None when the module itself does not exist."""
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only a missing subcommand module is skipped; a broken import inside it is raised.
        if error.name is not None and module_name.startswith(error.name):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with one subparser per available subcommand."""
    parser = argparse.ArgumentParser(
        prog="rasl-prefect", description="Tools for the RASL WhatsApp API and Prefect."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None
        subparser = subparsers.add_parser(name, help=summary, description=module.__doc__)
        module.add_arguments(subparser)
        subparser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `rasl-prefect` command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
