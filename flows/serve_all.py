"""Serve every deployment of `prefect.yaml` from this process, without a work pool or worker.

Usage:
    python flows/serve_all.py [--file prefect.yaml] [--only NAME ...] [--no-schedules]

The deployments get the names, parameters, schedules, triggers and concurrency limits that
`prefect.yaml` gives them. Their `work_pool` and `pull` are ignored, because the runs start as
subprocesses of this one. It talks to the Prefect API that `PREFECT_API_URL` (or the active
profile) points at, and runs until it is stopped with Ctrl+C.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

# Prefect sends telemetry unless these variables turn it off, so they are set before the import.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

import yaml  # noqa: E402
from prefect import Flow, serve  # noqa: E402
from prefect.client.schemas.objects import ConcurrencyLimitConfig  # noqa: E402
from prefect.deployments.runner import RunnerDeployment  # noqa: E402
from prefect.events import DeploymentTriggerTypes  # noqa: E402
from prefect.flows import load_flow_from_entrypoint  # noqa: E402
from prefect.schedules import Cron, Interval, RRule, Schedule  # noqa: E402
from pydantic import TypeAdapter  # noqa: E402

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPOSITORY_ROOT / "prefect.yaml"


def read_deployment_specs(path: Path, only: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Return the `deployments` entries of a `prefect.yaml`, all of them or those in `only`.

    Raises:
        ValueError: The file has no deployments, or a name in `only` is not among them.
    """
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    specs: list[dict[str, Any]] = list(document.get("deployments") or [])
    if not specs:
        raise ValueError(f"{path} has no deployments.")

    names = [spec["name"] for spec in specs]
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise ValueError(
            f"No deployment named {', '.join(unknown)} in {path}; its deployments are "
            f"{', '.join(names)}."
        )
    return [spec for spec in specs if not only or spec["name"] in only]


def schedule_from_spec(spec: dict[str, Any]) -> Schedule:
    """Build a schedule from one `schedules` entry: `cron`, `interval` (seconds) or `rrule`.

    Raises:
        ValueError: The entry has none of the three keys.
    """
    timezone = spec.get("timezone")
    active = spec.get("active", True)
    if "cron" in spec:
        return Cron(spec["cron"], timezone=timezone, active=active)
    if "interval" in spec:
        return Interval(spec["interval"], timezone=timezone, active=active)
    if "rrule" in spec:
        return RRule(spec["rrule"], timezone=timezone, active=active)
    raise ValueError(f"Schedule {spec!r} needs a cron, interval or rrule key.")


def build_deployment(
    spec: dict[str, Any], root: Path, with_schedules: bool = True
) -> RunnerDeployment:
    """Load a deployment's flow from its entrypoint and build the deployment to serve.

    Args:
        spec: One `deployments` entry of `prefect.yaml`.
        root: The folder that entrypoint paths are relative to.
        with_schedules: Keep the entry's schedules; off, the deployment runs only on demand.
    """
    path, _, function = spec["entrypoint"].partition(":")
    flow: Flow[..., Any] = load_flow_from_entrypoint(f"{root / path}:{function}")

    trigger_adapter: TypeAdapter[Any] = TypeAdapter(DeploymentTriggerTypes)
    limit = spec.get("concurrency_limit")
    schedules = (spec.get("schedules") or []) if with_schedules else []
    # Called outside an event loop, `to_deployment` returns the deployment, not a coroutine.
    deployment = flow.to_deployment(
        name=spec["name"],
        description=spec.get("description"),
        tags=spec.get("tags"),
        parameters=spec.get("parameters") or {},
        schedules=[schedule_from_spec(entry) for entry in schedules],
        triggers=[trigger_adapter.validate_python(entry) for entry in spec.get("triggers") or []],
        concurrency_limit=ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit,
    )
    return cast(RunnerDeployment, deployment)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and serve the deployments until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="the prefect.yaml to read")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="serve only this deployment; repeat for several",
    )
    parser.add_argument(
        "--no-schedules",
        action="store_true",
        help="serve the deployments without their schedules, so runs start only on demand",
    )
    options = parser.parse_args(argv)

    try:
        specs = read_deployment_specs(options.file, options.only)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"serve_all: {error}", file=sys.stderr)
        return 2

    root = options.file.resolve().parent
    deployments = [build_deployment(spec, root, not options.no_schedules) for spec in specs]
    print(f"Serving {len(deployments)} deployments: {', '.join(spec['name'] for spec in specs)}")
    serve(*deployments)
    return 0


if __name__ == "__main__":
    sys.exit(main())
