"""The deployments of `prefect.yaml`: their shape, `prefect deploy --all`, and one served run each.

The served test starts `flows/serve_all.py` in a subprocess against the test Prefect server,
with credentials blocks of the names `prefect.yaml` references pointing at the sandbox, and
starts one run of every deployment with `run_deployment`.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.flow_runs import resume_flow_run

from rasl_prefect import RaslCredentials

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
PREFECT_YAML = REPOSITORY_ROOT / "prefect.yaml"
DEMO_FILE = REPOSITORY_ROOT / "flows" / "data" / "demo_contacts.csv"

SERVE_STARTUP_SECONDS = 180.0
"""How long the serve subprocess may take to register every deployment on a loaded machine."""

RUNS_FINISH_SECONDS = 300.0
"""How long all the served runs together may take to finish."""

OTP_PHONE = "+966500008801"


def deployment_specs() -> list[dict[str, Any]]:
    document = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))
    specs: list[dict[str, Any]] = document["deployments"]
    return specs


def flow_names_in_flows_folder() -> dict[str, str]:
    """Return `file:function` of every `@flow` function in flows/, by the flow's name."""
    found: dict[str, str] = {}
    for path in sorted((REPOSITORY_ROOT / "flows").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if not (
                    isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "flow"
                ):
                    continue
                names = [k.value for k in decorator.keywords if k.arg == "name"]
                if names and isinstance(names[0], ast.Constant):
                    found[str(names[0].value)] = f"flows/{path.name}:{node.name}"
    return found


def block_names() -> set[str]:
    """Return the credentials block names that the deployments reference."""
    names = set()
    for spec in deployment_specs():
        reference = (spec.get("parameters") or {}).get("credentials", {}).get("$ref", {})
        slug = reference.get("block_document_slug", "")
        names.add(slug.split("/", 1)[1])
    return names


# The file itself


def test_yaml_covers_every_flow() -> None:
    entrypoints = {spec["entrypoint"] for spec in deployment_specs()}

    assert set(flow_names_in_flows_folder().values()) <= entrypoints


def test_yaml_entrypoints_exist() -> None:
    flows = set(flow_names_in_flows_folder().values())

    for spec in deployment_specs():
        assert spec["entrypoint"] in flows, spec["name"]


def test_yaml_credentials_by_block_slug() -> None:
    for spec in deployment_specs():
        credentials = spec["parameters"]["credentials"]
        assert set(credentials) == {"$ref"}, spec["name"]
        assert credentials["$ref"]["block_document_slug"].startswith("rasl-credentials/")


def test_yaml_schedules() -> None:
    schedules = {spec["name"]: spec.get("schedules") for spec in deployment_specs()}

    assert schedules["template-sync"] == [{"cron": "0 5 * * *", "timezone": "UTC"}]
    assert schedules["account-usage-report"] == [{"cron": "5 * * * *", "timezone": "UTC"}]


def test_serve_all_rejects_unknown_name() -> None:
    completed = subprocess.run(
        [sys.executable, "flows/serve_all.py", "--only", "no-such-deployment"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert completed.returncode == 2
    assert "No deployment named no-such-deployment" in completed.stderr


# prefect deploy --all


def prefect_environment(api_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        **extra,
    }


@pytest.mark.timeout(300)
def test_prefect_deploy_all(prefect_server: str) -> None:
    environment = prefect_environment(prefect_server)
    prefect = [sys.executable, "-m", "prefect"]
    subprocess.run(
        [*prefect, "work-pool", "create", "rasl", "--type", "process", "--overwrite"],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        check=True,
        timeout=120,
    )

    completed = subprocess.run(
        [*prefect, "--no-prompt", "deploy", "--all"],
        cwd=REPOSITORY_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    with get_client(sync_client=True) as client:
        deployments = {
            f"{spec['name']}": client.read_deployment_by_name(f"{flow_name(spec)}/{spec['name']}")
            for spec in deployment_specs()
        }
        for deployment in deployments.values():
            client.delete_deployment(deployment.id)
    assert {deployment.work_pool_name for deployment in deployments.values()} == {"rasl"}
    assert len(deployments["template-sync"].schedules) == 1
    assert deployments["contacts-cleanup"].parameters["dry_run"] is True
    assert "api_token" not in str(deployments["csv-import"].parameters)


def flow_name(spec: dict[str, Any]) -> str:
    by_entrypoint = {entry: name for name, entry in flow_names_in_flows_folder().items()}
    return by_entrypoint[spec["entrypoint"]]


# One served run of each deployment


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    """A plain httpx client of the sandbox API, to prepare contacts and groups."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client:
        yield client


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop the serve subprocess and its flow run subprocesses."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def served_deployments(
    prefect_server: str, sandbox: Any, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """Serve every deployment of prefect.yaml and yield `flow/deployment` names by deployment.

    Every credentials block that prefect.yaml references is saved pointing at the sandbox.
    """
    for name in block_names():
        RaslCredentials(
            api_token=sandbox.token,
            base_url=sandbox.base_url,
            requests_per_minute=100_000,
            max_retry_wait_seconds=5,
        ).save(name, overwrite=True)

    storage = tmp_path / "results"
    storage.mkdir()
    environment = prefect_environment(
        prefect_server,
        PREFECT_LOCAL_STORAGE_PATH=str(storage),
        PREFECT_RUNNER_POLL_FREQUENCY="1",
    )
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "flows/serve_all.py", "--no-schedules"],
            cwd=REPOSITORY_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    names = {spec["name"]: f"{flow_name(spec)}/{spec['name']}" for spec in deployment_specs()}
    try:
        deadline = time.monotonic() + SERVE_STARTUP_SECONDS
        with get_client(sync_client=True) as client:
            for full_name in names.values():
                while True:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(
                            f"serve_all.py did not create {full_name}:\n"
                            + log_path.read_text(errors="replace")[-4000:]
                        )
                    try:
                        client.read_deployment_by_name(full_name)
                        break
                    except Exception:
                        time.sleep(1.0)
        yield names
    finally:
        stop_process(process)
        with get_client(sync_client=True) as client:
            for full_name in names.values():
                try:
                    client.delete_deployment(client.read_deployment_by_name(full_name).id)
                except Exception:
                    pass
        print(log_path.read_text(errors="replace")[-6000:])


def run_parameters(api: httpx.Client, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Return the parameters each deployment's run needs beyond those in prefect.yaml."""
    members = [
        {
            "firstname": f"Deployed{offset}",
            "lastname": "Member",
            "phone": f"+9665000087{offset:02d}",
            "type": "lead",
            "source_id": 3,
            "status_id": 1,
        }
        for offset in range(2)
    ]
    created = api.post("/contacts/batch", json={"contacts": members}).json()["data"]["created"]
    group_id = api.post("/groups", json={"name": "Deployed VIP"}).json()["data"]["id"]
    member_ids = [contact["id"] for contact in created]
    api.post(f"/groups/{group_id}/contacts", json={"contact_ids": member_ids}).raise_for_status()

    shard_file = tmp_path / "shards.csv"
    shard_file.write_text(
        "Name,Phone\n" + "".join(f"Shard{row},+9665000086{row:02d}\n" for row in range(4)),
        encoding="utf-8",
    )
    import_fields = {
        "template_name": "welcome_offer",
        "template_fields": ["@{contact_first_name}"],
        "default_region": "SA",
    }
    return {
        "csv-import": {"source": str(DEMO_FILE), "group_name": "Deployed import", **import_fields},
        "sharded-campaign": {
            "source": str(shard_file),
            "group_name": "Deployed shards",
            "shard_count": 2,
            "timeout_seconds": 240,
            "poll_seconds": 1,
            **import_fields,
        },
        "send-campaign-to-group": {
            "group_id": group_id,
            "template_name": "welcome_offer",
            "template_fields": ["@{contact_first_name}"],
        },
        "otp-verification": {"phone": OTP_PHONE, "input_poll_seconds": 1},
        "template-sync": {"variable_name": f"rasl_templates_deploy_{uuid.uuid4().hex[:8]}"},
        "account-usage-report": {},
        "delivery-report": {},
        "contacts-cleanup": {},
        "woocommerce-order-notifications": {
            "order_id": 1042,
            "status": "processing",
            "number": "1042",
            "total": "149.50",
            "currency": "SAR",
            "billing_first_name": "Sara",
            "billing_phone": "+966500008901",
        },
        "welcome-new-contact": {
            "contact_id": member_ids[0],
            "phone": "966500008700",
            "firstname": "Deployed0",
        },
    }


def resume_otp_run(sandbox: Any, flow_run_id: Any, deadline: float) -> None:
    """Wait for the OTP run to pause, then resume it with the code the sandbox recorded."""
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            run = client.read_flow_run(flow_run_id)
            state = run.state
            if state is not None and state.is_paused() and state.state_details.run_input_keyset:
                code = sandbox.admin.latest_otp_code(OTP_PHONE)
                try:
                    resume_flow_run(flow_run_id, run_input={"code": code})
                except RuntimeError as error:
                    # The paused state can be visible before the run has stored its input
                    # schema; Prefect then answers "Run input schema not found".
                    if "schema not found" not in str(error):
                        raise
                    time.sleep(1.0)
                    continue
                return
            if state is not None and state.is_final():
                raise AssertionError(f"The OTP run ended without pausing: {state.message}")
            time.sleep(1.0)
    raise AssertionError("The OTP run did not pause in time")


def wait_for_final(flow_run_ids: dict[str, Any], deadline: float) -> dict[str, FlowRun]:
    """Return each flow run once every one of them is in a final state."""
    finished: dict[str, FlowRun] = {}
    with get_client(sync_client=True) as client:
        while len(finished) < len(flow_run_ids) and time.monotonic() < deadline:
            for name, flow_run_id in flow_run_ids.items():
                if name in finished:
                    continue
                run = client.read_flow_run(flow_run_id)
                if run.state is not None and run.state.is_final():
                    finished[name] = run
            time.sleep(1.0)
    missing = sorted(set(flow_run_ids) - set(finished))
    assert not missing, f"runs not finished in {RUNS_FINISH_SECONDS} seconds: {missing}"
    return finished


@pytest.mark.timeout(600)
def test_served_deployments_complete(
    served_deployments: dict[str, str], sandbox: Any, api: httpx.Client, tmp_path: Path
) -> None:
    parameters = run_parameters(api, tmp_path)
    assert set(parameters) == set(served_deployments)

    flow_run_ids = {}
    for name, full_name in served_deployments.items():
        flow_run: FlowRun = run_deployment(full_name, parameters=parameters[name], timeout=0)  # type: ignore[assignment]
        flow_run_ids[name] = flow_run.id
    deadline = time.monotonic() + RUNS_FINISH_SECONDS
    resume_otp_run(sandbox, flow_run_ids["otp-verification"], deadline)
    runs = wait_for_final(flow_run_ids, deadline)

    states = {name: run.state.type for name, run in runs.items() if run.state is not None}
    failed = {
        name: run.state.message
        for name, run in runs.items()
        if run.state is not None and run.state.type != StateType.COMPLETED
    }
    assert failed == {}
    assert set(states.values()) == {StateType.COMPLETED}
