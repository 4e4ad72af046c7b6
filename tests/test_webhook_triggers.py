"""The trigger path end to end: a webhook, a Prefect event, a flow run, one message.

Both deployments' triggers, parameters and concurrency limits are read from `prefect.yaml` and
served with `prefect.serve` in a subprocess against the session's Prefect test server. That
server runs Prefect's triggers and actions services, because both are marked to run in temporary
servers and `PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED` defaults to true (Prefect 3.9.1). The
receiver runs in a thread on 127.0.0.1 and emits real events through `emit_event`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.events import DeploymentTriggerTypes
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.flows import load_flow_from_entrypoint
from prefect.utilities.asyncutils import run_coro_as_sync
from prefect.utilities.templating import resolve_block_document_references
from pydantic import SecretStr, TypeAdapter

from flows.welcome_new_contact import welcome_new_contact
from flows.woocommerce_order_notifications import woocommerce_order_notifications
from rasl_prefect import RaslCredentials
from rasl_prefect.webhooks import PrefectEventEmitter, WebhookSettings
from tests.webhooks.conftest import (
    RASL_SECRET,
    WOOCOMMERCE_SECRET,
    RecordingEmitter,
    RunningReceiver,
    running_receiver,
    woocommerce_headers,
    woocommerce_order,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
ORDER_DEPLOYMENT = "woocommerce-order-notifications"
WORK_POOL = "rasl"

NEW_CONTACT = {
    "firstname": "سارة",
    "lastname": "العتيبي",
    "phone": "+966500000091",
    "type": "lead",
    "source_id": 3,
    "status_id": 1,
}
"""A contact with the sandbox's seeded "Import" source and "New" status."""
WELCOME_DEPLOYMENT = "welcome-new-contact"

RUNNER_STARTUP_TIMEOUT_SECONDS = 90.0
"""Maximum wait for the served deployment to appear, in seconds; the subprocess imports Prefect."""

FLOW_RUN_TIMEOUT_SECONDS = 90.0
"""Maximum wait for triggered flow runs to finish, in seconds."""

SERVE_SCRIPT = textwrap.dedent(
    """
    import json
    import os

    from prefect import serve
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.events import DeploymentTriggerTypes
    from pydantic import TypeAdapter

    from flows.welcome_new_contact import welcome_new_contact
    from flows.woocommerce_order_notifications import woocommerce_order_notifications

    trigger_adapter = TypeAdapter(DeploymentTriggerTypes)


    def to_deployment(flow, spec):
        limit = spec.get("concurrency_limit")
        return flow.to_deployment(
            name=spec["name"],
            triggers=[trigger_adapter.validate_python(trigger) for trigger in spec["triggers"]],
            parameters=spec["parameters"],
            concurrency_limit=ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit,
        )


    specs = json.loads(os.environ["RASL_TEST_DEPLOYMENTS"])
    serve(
        to_deployment(woocommerce_order_notifications, specs[woocommerce_order_notifications.name]),
        to_deployment(welcome_new_contact, specs[welcome_new_contact.name]),
    )
    """
)


def deployment_spec(name: str) -> dict[str, Any]:
    """Return the deployment called `name` from the repository's `prefect.yaml`."""
    document = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    for deployment in document["deployments"]:
        if deployment["name"] == name:
            spec: dict[str, Any] = deployment
            return spec
    raise AssertionError(f"prefect.yaml has no deployment named {name!r}")


def flow_parameter_names(flow: Any) -> set[str]:
    return set(flow.parameters.properties)


# The prefect.yaml entries, checked without running anything.


@pytest.mark.parametrize(
    ("name", "flow"),
    [
        (ORDER_DEPLOYMENT, woocommerce_order_notifications),
        (WELCOME_DEPLOYMENT, welcome_new_contact),
    ],
)
def test_yaml_parameters_exist_on_flow(name: str, flow: Any) -> None:
    spec = deployment_spec(name)
    trigger_parameters = set(spec["triggers"][0]["parameters"])

    assert set(spec["parameters"]) <= flow_parameter_names(flow)
    assert trigger_parameters <= flow_parameter_names(flow)


@pytest.mark.parametrize(
    ("name", "events", "resource"),
    [
        (
            ORDER_DEPLOYMENT,
            {"woocommerce.order.created", "woocommerce.order.updated"},
            "woocommerce.order.*",
        ),
        (WELCOME_DEPLOYMENT, {"rasl.contact.created"}, "rasl.contact.*"),
    ],
)
def test_yaml_trigger_matches_events(name: str, events: set[str], resource: str) -> None:
    spec = deployment_spec(name)["triggers"][0]

    trigger = TypeAdapter(DeploymentTriggerTypes).validate_python(spec)

    assert trigger.expect == events  # type: ignore[union-attr]
    assert trigger.match.model_dump()["prefect.resource.id"] == resource  # type: ignore[union-attr]
    assert trigger.enabled


@pytest.mark.parametrize("name", [ORDER_DEPLOYMENT, WELCOME_DEPLOYMENT])
def test_yaml_credentials_by_slug(name: str, prefect_server: str) -> None:
    # `prefect deploy` replaces `{"$ref": {"block_document_id": ...}}` and
    # `{{ prefect.blocks.TYPE.NAME }}` with the block's data, token included. A slug
    # reference must pass through unchanged, so the flow loads the block at run time.
    spec = deployment_spec(name)

    resolved = run_coro_as_sync(resolve_block_document_references(spec["parameters"]))

    assert resolved["credentials"] == spec["parameters"]["credentials"]
    assert set(resolved["credentials"]["$ref"]) == {"block_document_slug"}


def test_id_reference_copies_token(prefect_server: str) -> None:
    # Why prefect.yaml uses slug references: `prefect deploy` resolves an id reference to the
    # block's data, secrets included.
    credentials = RaslCredentials(api_token="fake-token-1234", base_url="http://127.0.0.1:9/api/v2")
    block_id = credentials.save(f"id-reference-{uuid.uuid4().hex[:8]}")
    parameters = {"credentials": {"$ref": {"block_document_id": str(block_id)}}}

    resolved = run_coro_as_sync(resolve_block_document_references(parameters))

    assert "fake-token-1234" in json.dumps(resolved)


@pytest.mark.parametrize("name", [ORDER_DEPLOYMENT, WELCOME_DEPLOYMENT])
def test_entrypoint_validates_parameters(name: str) -> None:
    # A worker loads the flow from its file, not as a package module, and the parameter
    # model must still build from the signature's annotations.
    spec = deployment_spec(name)
    flow = load_flow_from_entrypoint(str(REPO_ROOT / spec["entrypoint"]))
    credentials = RaslCredentials(api_token="test-token", base_url="http://127.0.0.1:9/api/v2")
    parameters = {
        ORDER_DEPLOYMENT: {"order_id": "4321", "status": "processing"},
        WELCOME_DEPLOYMENT: {"contact_id": "57", "phone": None},
    }[name]

    validated = flow.validate_parameters({**parameters, "credentials": credentials})

    assert validated["credentials"] is credentials
    assert isinstance(validated.get("order_id", validated.get("contact_id")), int)


def test_prefect_deploy_keeps_references(prefect_server: str) -> None:
    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process"))
        except ObjectAlreadyExists:
            pass

    command = [sys.executable, "-m", "prefect", "--no-prompt", "deploy"]
    command += ["--name", ORDER_DEPLOYMENT, "--name", WELCOME_DEPLOYMENT]
    environment = {**os.environ, "PREFECT_API_URL": prefect_server}
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, timeout=240, check=False
    )
    output = (completed.stdout + completed.stderr).decode(errors="replace")[-4000:]

    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(f"{ORDER_DEPLOYMENT}/{ORDER_DEPLOYMENT}")
            automations = client.read_resource_related_automations(
                f"prefect.deployment.{deployment.id}"
            )
        finally:
            for name in (ORDER_DEPLOYMENT, WELCOME_DEPLOYMENT):
                delete_deployment(client, f"{name}/{name}")

    action_parameters = automations[0].actions[0].parameters or {}  # type: ignore[union-attr]
    expected_credentials = deployment_spec(ORDER_DEPLOYMENT)["parameters"]["credentials"]
    assert completed.returncode == 0, output
    assert deployment.parameters["credentials"] == expected_credentials
    assert deployment.global_concurrency_limit is not None
    assert deployment.global_concurrency_limit.limit == 1
    assert len(automations) == 1
    assert action_parameters["order_id"] == "{{ event.payload.order_id }}"


def delete_deployment(client: Any, name: str) -> None:
    """Delete a deployment and the automations of its triggers, if it exists."""
    try:
        deployment = client.read_deployment_by_name(name)
    except ObjectNotFound:
        return
    client.delete_resource_owned_automations(f"prefect.deployment.{deployment.id}")
    client.delete_deployment(deployment.id)


# The trigger path, served in a subprocess.


def unique_order_id() -> int:
    return 100_000 + uuid.uuid4().int % 800_000


def order_body(order_id: int, status: str, total: str = "149.50") -> bytes:
    order = woocommerce_order(order_id=order_id)
    order["status"] = status
    order["total"] = total
    return json.dumps(order, ensure_ascii=False).encode("utf-8")


def post_order(
    receiver: RunningReceiver, body: bytes, topic: str, delivery_id: str
) -> httpx.Response:
    headers = woocommerce_headers(body, topic=topic, delivery_id=delivery_id)
    return receiver.client.post("/woocommerce", content=body, headers=headers)


def read_flow_runs(deployment_id: uuid.UUID) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
            limit=50,
        )


def wait_for_final_runs(
    deployment_id: uuid.UUID, parameter: str, value: int, count: int
) -> list[FlowRun]:
    """Poll until `count` runs whose `parameter` is `value` are in a final state, for at most
    the timeout."""
    deadline = time.monotonic() + FLOW_RUN_TIMEOUT_SECONDS
    while True:
        runs = [
            run for run in read_flow_runs(deployment_id) if run.parameters.get(parameter) == value
        ]
        final = [run for run in runs if run.state is not None and run.state.is_final()]
        if len(final) >= count or time.monotonic() > deadline:
            return final
        time.sleep(1.0)


def sent_templates(sandbox: Any) -> list[dict[str, Any]]:
    with sandbox.state.lock:
        records = list(sandbox.state.messages.values())
    return [
        record
        for record in records
        if record["direction"] == "outbound" and record["type"] == "template"
    ]


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop the serve subprocess and the flow runs it started, which share its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass(frozen=True)
class ServedDeployments:
    """The ids of the two deployments served from prefect.yaml."""

    order: uuid.UUID
    welcome: uuid.UUID


def wait_for_deployment(name: str, process: subprocess.Popen[bytes], log_path: Path) -> uuid.UUID:
    """Poll until the serve subprocess has created the deployment `flow/deployment`."""
    deadline = time.monotonic() + RUNNER_STARTUP_TIMEOUT_SECONDS
    with get_client(sync_client=True) as client:
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"The serve subprocess did not create {name}:\n"
                    + log_path.read_text(errors="replace")[-4000:]
                )
            try:
                deployment_id: uuid.UUID = client.read_deployment_by_name(name).id
                return deployment_id
            except ObjectNotFound:
                time.sleep(1.0)


@pytest.fixture(scope="module")
def served(
    prefect_server: str, sandbox_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedDeployments]:
    """Serve both deployments of prefect.yaml with a saved sandbox credentials block.

    The deployments and their triggers are deleted afterwards, so that the triggers do not
    react to the events of later tests.
    """
    block_name = f"trigger-test-{uuid.uuid4().hex[:8]}"
    RaslCredentials(
        api_token=sandbox_server.token,
        base_url=sandbox_server.base_url,
        requests_per_minute=100_000,
    ).save(block_name)
    reference = {"$ref": {"block_document_slug": f"rasl-credentials/{block_name}"}}

    # The flows are named like their deployments in prefect.yaml.
    specs = {name: deployment_spec(name) for name in (ORDER_DEPLOYMENT, WELCOME_DEPLOYMENT)}
    for spec in specs.values():
        spec["name"] = f"{spec['name']}-{block_name}"
        spec["parameters"]["credentials"] = reference

    folder = tmp_path_factory.mktemp("served")
    storage = folder / "ledger"
    storage.mkdir()
    environment = {
        **os.environ,
        "PREFECT_API_URL": prefect_server,
        "PREFECT_LOCAL_STORAGE_PATH": str(storage),
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "RASL_TEST_DEPLOYMENTS": json.dumps(specs),
    }
    log_path = folder / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", SERVE_SCRIPT],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    try:
        order = wait_for_deployment(
            f"{ORDER_DEPLOYMENT}/{specs[ORDER_DEPLOYMENT]['name']}", process, log_path
        )
        welcome = wait_for_deployment(
            f"{WELCOME_DEPLOYMENT}/{specs[WELCOME_DEPLOYMENT]['name']}", process, log_path
        )
        yield ServedDeployments(order=order, welcome=welcome)
    finally:
        stop_process(process)
        with get_client(sync_client=True) as client:
            for flow_name, spec in specs.items():
                delete_deployment(client, f"{flow_name}/{spec['name']}")


@pytest.fixture(scope="module")
def receiver(prefect_server: str) -> Iterator[RunningReceiver]:
    """A receiver on 127.0.0.1 that emits real events to the Prefect test server."""
    settings = WebhookSettings(
        rasl_secret=SecretStr(RASL_SECRET),
        rasl_auth="signature",
        woocommerce_secret=SecretStr(WOOCOMMERCE_SECRET),
    )
    with running_receiver(settings, RecordingEmitter(target=PrefectEventEmitter())) as running:
        yield running


def wait_until_trigger_live(receiver: RunningReceiver, deployment_id: uuid.UUID) -> None:
    """Post orders with a status that sends nothing until one of them starts a flow run.

    The triggers service loads a new automation shortly after it is created, so an event
    emitted at once may pass before the trigger listens.
    """
    deadline = time.monotonic() + FLOW_RUN_TIMEOUT_SECONDS
    probe_ids: list[int] = []
    while time.monotonic() < deadline:
        probe_id = unique_order_id()
        probe_ids.append(probe_id)
        body = order_body(probe_id, "on-hold")
        post_order(receiver, body, "order.updated", f"probe-{probe_id}")

        probe_deadline = time.monotonic() + 10.0
        while time.monotonic() < probe_deadline:
            runs = read_flow_runs(deployment_id)
            if any(run.parameters.get("order_id") in probe_ids for run in runs):
                return
            time.sleep(1.0)
    raise AssertionError("No flow run started for an order webhook within the timeout.")


def test_order_webhook_sends_once(
    served: ServedDeployments, receiver: RunningReceiver, sandbox: Any
) -> None:
    wait_until_trigger_live(receiver, served.order)
    order_id = unique_order_id()
    created = order_body(order_id, "processing")
    updated = order_body(order_id, "processing", total="155.00")

    statuses = [
        post_order(receiver, created, "order.created", "created-1").status_code,
        post_order(receiver, updated, "order.updated", "updated-1").status_code,
        post_order(receiver, created, "order.created", "created-1").status_code,
    ]
    runs = wait_for_final_runs(served.order, "order_id", order_id, count=2)

    messages = sent_templates(sandbox)
    runs_parameters = json.dumps([run.parameters for run in runs], default=str)
    assert statuses == [202, 202, 200]
    assert len(runs) == 2
    states = [(run.state.name, run.state.message) for run in runs if run.state is not None]
    assert [name for name, _ in states] == ["Completed", "Completed"], states
    assert len(messages) == 1
    assert messages[0]["phone"] == "966500000011"
    assert sandbox.token not in runs_parameters
    assert set(runs[0].parameters["credentials"]) == {"$ref"}


def test_contact_webhook_welcomes_once(
    served: ServedDeployments, receiver: RunningReceiver, sandbox: Any
) -> None:
    # Both triggers were created together, so a live order trigger means a live welcome one.
    wait_until_trigger_live(receiver, served.order)
    sandbox.admin.configure_webhooks(f"{receiver.base_url}/rasl", secret=RASL_SECRET)
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as api:
        response = api.post("/contacts", json=NEW_CONTACT)
    contact_id = response.json()["data"]["id"]

    runs = wait_for_final_runs(served.welcome, "contact_id", contact_id, count=1)

    messages = sent_templates(sandbox)
    states = [(run.state.name, run.state.message) for run in runs if run.state is not None]
    assert response.status_code == 201
    assert [name for name, _ in states] == ["Completed"], states
    assert len(messages) == 1
    assert messages[0]["template_name"] == "welcome_offer"
    assert messages[0]["message"].startswith("Hi سارة, welcome")
