"""The sandbox's signed CRM webhooks, posted to the receiver over 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from tests.webhooks.conftest import RunningReceiver

Factory = Callable[..., RunningReceiver]

SIGNING_SECRET = "sandbox/+= sécret ü"
CONTACT = {
    "firstname": "سارة",
    "lastname": "Haddad",
    "phone": "+966500000011",
    "type": "lead",
    "source_id": 1,
    "status_id": 1,
}
WAIT_SECONDS = 15.0


def _wait_for_deliveries(sandbox: Any, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        deliveries = sandbox.admin.webhook_deliveries()
        if (len(deliveries["deliveries"]) >= count and deliveries["pending"] == 0) or (
            time.monotonic() > deadline
        ):
            return list(deliveries["deliveries"])
        time.sleep(0.1)


def test_sandbox_contact_lifecycle(receiver_factory: Factory, sandbox: Any) -> None:
    receiver = receiver_factory(rasl_auth="signature", rasl_secret=SecretStr(SIGNING_SECRET))
    sandbox.admin.configure_webhooks(f"{receiver.base_url}/rasl", secret=SIGNING_SECRET)
    headers = {"Authorization": f"Bearer {sandbox.token}"}

    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as api:
        contact = api.post("/contacts", json=CONTACT).json()["data"]
        api.patch(f"/contacts/{contact['id']}", json={"company": "شركة الأمل"})
        api.delete(f"/contacts/{contact['id']}")
    deliveries = _wait_for_deliveries(sandbox, 3)
    sandbox.admin.disable_webhooks()

    assert [delivery.get("status_code") for delivery in deliveries] == [202, 202, 202]
    assert [event.name for event in receiver.emitter.events] == [
        "rasl.contact.created",
        "rasl.contact.updated",
        "rasl.contact.deleted",
    ]
    resource_ids = {event.resource["prefect.resource.id"] for event in receiver.emitter.events}
    assert resource_ids == {f"rasl.contact.{contact['id']}"}
    created = receiver.emitter.events[0]
    assert created.payload["data"]["resource"]["attributes"]["firstname"] == "سارة"
    assert created.resource["rasl.tenant.id"] == str(created.payload["tenant"]["id"])


def test_sandbox_wrong_secret_rejected(receiver_factory: Factory, sandbox: Any) -> None:
    receiver = receiver_factory(rasl_auth="signature", rasl_secret=SecretStr(SIGNING_SECRET))
    sandbox.admin.configure_webhooks(f"{receiver.base_url}/rasl", secret="another secret")
    headers = {"Authorization": f"Bearer {sandbox.token}"}

    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as api:
        api.post("/contacts", json=CONTACT)
    deliveries = _wait_for_deliveries(sandbox, 1)
    sandbox.admin.disable_webhooks()

    assert [delivery.get("status_code") for delivery in deliveries] == [401]
    assert receiver.emitter.events == []
