"""Admin API, signed webhooks, SQLite persistence across restarts and the command line."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from rasl_prefect import cli
from rasl_prefect.sandbox import SandboxAdminError, run_sandbox

CONTACT = {
    "firstname": "Sara",
    "lastname": "Haddad",
    "phone": "+966500000011",
    "type": "lead",
    "source_id": 1,
    "status_id": 1,
}


class Receiver:
    """A loopback HTTP server that records every POST it gets."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length", "0"))
                received.append((dict(self.headers), self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/rasl"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def wait_deliveries(sandbox: Any, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = sandbox.admin.webhook_deliveries()
        if len(deliveries["deliveries"]) >= count and deliveries["pending"] == 0:
            return list(deliveries["deliveries"])
        time.sleep(0.05)
    return list(sandbox.admin.webhook_deliveries()["deliveries"])


def test_reset_restores_seed(api: httpx.Client, sandbox: Any) -> None:
    api.post("/contacts", json=CONTACT)
    api.post("/groups", json={"name": "VIP"})
    sandbox.admin.reset()
    assert api.get("/contacts").json()["meta"]["total"] == 0
    assert api.get("/groups").json()["meta"]["total"] == 0
    assert api.get("/templates").json()["meta"]["total"] == 8


def test_reset_removes_created_tokens(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="temp")
    sandbox.admin.reset()
    response = httpx.get(f"{sandbox.base_url}/account", headers={"X-API-Key": record["token"]})
    assert response.status_code == 401
    assert [token["name"] for token in sandbox.admin.list_tokens()] == ["seeded"]


def test_tokens_listed_without_values(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="importer", scopes=["contacts:write"], rpm=30)
    listed = {token["name"]: token for token in sandbox.admin.list_tokens()}
    assert "token" not in listed["importer"]
    assert listed["importer"]["scopes"] == ["contacts:write"]
    assert listed["importer"]["rpm"] == 30
    assert record["token"] not in json.dumps(listed)


def test_create_token_unknown_scope(sandbox: Any) -> None:
    with pytest.raises(SandboxAdminError, match="422"):
        sandbox.admin.create_token(scopes=["everything"])


def test_otp_codes_filter_by_phone(api: httpx.Client, sandbox: Any) -> None:
    for phone, code in (("+966500000011", "111111"), ("+966500000022", "222222")):
        api.post(
            "/auth/send-otp", json={"phone": phone, "template_name": "otp_login", "code": code}
        )
    codes = sandbox.admin.otp_codes("966500000022")
    assert [entry["code"] for entry in codes] == ["222222"]
    assert len(sandbox.admin.otp_codes()) == 2


def test_inbound_message_listed(api: httpx.Client, sandbox: Any) -> None:
    created = sandbox.admin.add_inbound_message("+966500000011", "مرحبا، هل الطلب جاهز؟")
    item = api.get(f"/messages/{created['id']}").json()["data"]
    assert item["direction"] == "inbound"
    assert item["message"] == "مرحبا، هل الطلب جاهز؟"
    assert item["sender_id"] == "966500000011"


def test_plan_rejects_unknown_setting(sandbox: Any) -> None:
    with pytest.raises(SandboxAdminError, match="422"):
        sandbox.admin.update_plan(unlimited_everything=True)


def test_webhook_contact_created_signed(
    api: httpx.Client, sandbox: Any, receiver: Receiver
) -> None:
    config = sandbox.admin.configure_webhooks(receiver.url, secret="s3cr3t/+=é")
    api.post("/contacts", json=CONTACT)
    headers, body = receiver.wait_for(1)[0]
    payload = json.loads(body)
    expected = "sha256=" + hmac.new("s3cr3t/+=é".encode(), body, hashlib.sha256).hexdigest()
    assert config["secret"] == "s3cr3t/+=é"
    assert headers["X-Rasl-Signature"] == expected
    assert headers["X-Rasl-Event"] == "contact.created"
    assert headers["X-Rasl-Delivery"] == payload["event"]["id"]
    assert payload["event"]["type"] == "contact.created"
    assert payload["event"]["version"] == "1.0"
    assert payload["event"]["id"].startswith("evt_")
    assert payload["tenant"] == {"id": 1, "name": "Sandbox Trading Co", "domain": "sandbox"}
    assert payload["data"]["resource"]["type"] == "contact"
    assert payload["data"]["resource"]["attributes"]["firstname"] == "Sara"
    assert payload["changes"]["previous"] is None
    assert payload["metadata"]["source"] == "api_webhook_manager"


def test_webhook_update_and_delete(api: httpx.Client, sandbox: Any, receiver: Receiver) -> None:
    sandbox.admin.configure_webhooks(receiver.url)
    contact = api.post("/contacts", json=CONTACT).json()["data"]
    api.patch(f"/contacts/{contact['id']}", json={"company": "شركة الأمل"})
    api.delete(f"/contacts/{contact['id']}")
    payloads = [json.loads(body) for _, body in receiver.wait_for(3)]
    updated, deleted = payloads[1], payloads[2]
    assert [payload["event"]["type"] for payload in payloads] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
    ]
    assert updated["changes"]["modified_fields"] == ["company"]
    assert updated["changes"]["current"]["company"] == "شركة الأمل"
    assert updated["changes"]["previous"]["company"] is None
    assert deleted["data"]["resource"]["id"] == contact["id"]


def test_webhook_source_and_status(sandbox: Any, receiver: Receiver) -> None:
    sandbox.admin.configure_webhooks(receiver.url, events=["source.created", "status.created"])
    sandbox.admin.create_source("Instagram")
    sandbox.admin.create_status("Qualified", "#22c55e")
    types = sorted(json.loads(body)["event"]["type"] for _, body in receiver.wait_for(2))
    assert types == ["source.created", "status.created"]


def test_webhook_event_filter(api: httpx.Client, sandbox: Any, receiver: Receiver) -> None:
    sandbox.admin.configure_webhooks(receiver.url, events=["contact.deleted"])
    contact = api.post("/contacts", json=CONTACT).json()["data"]
    api.delete(f"/contacts/{contact['id']}")
    requests = receiver.wait_for(1)
    time.sleep(0.2)
    assert [json.loads(body)["event"]["type"] for _, body in receiver.requests] == [
        "contact.deleted"
    ]
    assert len(requests) == 1


def test_webhook_deliveries_recorded(api: httpx.Client, sandbox: Any, receiver: Receiver) -> None:
    sandbox.admin.configure_webhooks(receiver.url)
    api.post("/contacts", json=CONTACT)
    deliveries = wait_deliveries(sandbox, 1)
    assert deliveries[0]["status_code"] == 200
    assert deliveries[0]["type"] == "contact.created"


def test_webhook_unreachable_recorded(api: httpx.Client, sandbox: Any) -> None:
    closed = Receiver()
    url = closed.url
    closed.close()
    sandbox.admin.configure_webhooks(url, timeout_seconds=1)
    api.post("/contacts", json=CONTACT)
    deliveries = wait_deliveries(sandbox, 1)
    assert "ConnectError" in deliveries[0]["error"]


def test_webhook_non_loopback_rejected(sandbox: Any) -> None:
    with pytest.raises(SandboxAdminError, match="loopback"):
        sandbox.admin.configure_webhooks("http://example.com/hook")


def test_webhook_disable_stops(api: httpx.Client, sandbox: Any, receiver: Receiver) -> None:
    sandbox.admin.configure_webhooks(receiver.url)
    sandbox.admin.disable_webhooks()
    api.post("/contacts", json=CONTACT)
    time.sleep(0.3)
    assert receiver.requests == []


def test_state_file_survives_restart(tmp_path: Path) -> None:
    state_path = str(tmp_path / "sandbox.sqlite")
    with run_sandbox(state_path=state_path, token="sbx_first") as first:
        headers = {"X-API-Key": "sbx_first"}
        created = httpx.post(f"{first.base_url}/contacts", json=CONTACT, headers=headers).json()[
            "data"
        ]
        httpx.post(f"{first.base_url}/groups", json={"name": "VIP"}, headers=headers)
        first.admin.update_plan(limits={"contacts": 7})
        created_token = first.admin.create_token(name="kept", scopes=["account:read"])["token"]
    with run_sandbox(state_path=state_path, token="sbx_second") as second:
        headers = {"X-API-Key": "sbx_second"}
        contacts = httpx.get(f"{second.base_url}/contacts", headers=headers).json()
        duplicate = httpx.post(f"{second.base_url}/contacts", json=CONTACT, headers=headers)
        other = httpx.post(
            f"{second.base_url}/contacts",
            json={**CONTACT, "phone": "+966500000022"},
            headers=headers,
        ).json()["data"]
        old_token = httpx.get(f"{second.base_url}/account", headers={"X-API-Key": "sbx_first"})
        usage = httpx.get(f"{second.base_url}/account/usage", headers=headers).json()["data"]
        groups = httpx.get(f"{second.base_url}/groups", headers=headers).json()["meta"]["total"]
        kept = httpx.get(f"{second.base_url}/account", headers={"X-API-Key": created_token})
    assert [contact["id"] for contact in contacts["data"]] == [created["id"]]
    assert duplicate.status_code == 422
    assert other["id"] == created["id"] + 1
    assert old_token.status_code == 401
    assert usage["contacts"]["limit"] == 7
    assert groups == 1
    assert kept.status_code == 200


def test_state_file_has_no_token_values(tmp_path: Path) -> None:
    state_path = tmp_path / "sandbox.sqlite"
    with run_sandbox(state_path=str(state_path), token="sbx_secret_value_7f3a") as sandbox:
        created = sandbox.admin.create_token(name="other")["token"]
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"sbx_secret_value_7f3a" not in stored
    assert created.encode() not in stored


def test_cli_skips_missing_subcommand(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.SUBCOMMANDS, "missing", "rasl_prefect.no_such_module.cli")
    parser = cli.build_parser()
    help_text = parser.format_help()
    assert "sandbox" in help_text
    assert "missing" not in help_text


def test_cli_without_command_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2


def test_cli_starts_and_stops() -> None:
    environment = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rasl_prefect.cli",
            "sandbox",
            "--port",
            "0",
            "--token",
            "sbx_cli",
            "--rpm",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        base_url = lines[0].split(": ", 1)[1].strip()
        response = httpx.get(
            f"{base_url}/account/limits", headers={"Authorization": "Bearer sbx_cli"}
        )
        process.send_signal(signal.SIGINT)
        exit_code = process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert base_url.startswith("http://127.0.0.1:")
    assert base_url.endswith("/api/v2")
    assert "sbx_cli" not in lines[1]
    assert "RASL_SANDBOX_TOKEN" in lines[1]
    assert response.json()["data"]["limits"]["api_calls_per_minute"]["limit"] == 5
    assert exit_code == 0


def test_webhook_group_membership_update(
    api: httpx.Client, sandbox: Any, receiver: Receiver
) -> None:
    contact = api.post("/contacts", json=CONTACT).json()["data"]
    group = api.post("/groups", json={"name": "VIP"}).json()["data"]
    sandbox.admin.configure_webhooks(receiver.url, events=["contact.updated"])
    api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": [contact["id"]]})
    payload = json.loads(receiver.wait_for(1)[0][1])
    assert payload["changes"]["modified_fields"] == ["group_id"]
    assert payload["changes"]["previous"]["group_id"] == []
    assert payload["data"]["relationships"]["groups"] == [{"id": group["id"]}]
