"""The blocks: block standards, registration, save and load, and WhatsApp notifications."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prefect.automations import Automation, EventTrigger, SendNotification
from prefect.blocks.abstract import NotificationError
from prefect.blocks.core import Block
from prefect.events import emit_event
from prefect.testing.standard_test_suites import BlockStandardTestSuite
from pydantic import ValidationError

import rasl_prefect
from rasl_prefect import RaslCredentials, RaslWhatsAppNotification

PHONES = ["+966500000011", "+966500000012"]


@pytest.fixture
def credentials(sandbox: Any) -> RaslCredentials:
    return RaslCredentials(api_token=sandbox.token, base_url=sandbox.base_url, max_retries=0)


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client


def outbound_messages(api: httpx.Client) -> list[dict[str, Any]]:
    response = api.get("/messages", params={"per_page": 100, "filter[direction]": "outbound"})
    response.raise_for_status()
    return sorted(response.json()["data"], key=lambda message: message["id"])


@pytest.mark.parametrize("block_class", [RaslCredentials, RaslWhatsAppNotification])
class TestBlockStandards(BlockStandardTestSuite):
    @pytest.fixture
    def block(self, block_class: type[Block]) -> type[Block]:
        return block_class

    def test_has_a_valid_image(self, block: type[Block]) -> None:
        # Prefect's version downloads the logo when Pillow is installed; the tests run offline.
        pytest.skip("the logo check downloads the image, and the tests run offline")


def test_notification_rejects_bad_phone(credentials: RaslCredentials) -> None:
    with pytest.raises(ValidationError) as raised:
        RaslWhatsAppNotification(credentials=credentials, to=["+966500000011", "call me"])

    assert "phone may contain only digits" in str(raised.value)


def test_notification_needs_recipient(credentials: RaslCredentials) -> None:
    with pytest.raises(ValidationError):
        RaslWhatsAppNotification(credentials=credentials, to=[])


def test_notification_rejects_parameter_name(credentials: RaslCredentials) -> None:
    with pytest.raises(ValidationError) as raised:
        RaslWhatsAppNotification(
            credentials=credentials, to=PHONES, template_name="alert", body_parameter="field_11"
        )

    assert "field_11" in str(raised.value)


def test_notification_rejects_shared_parameter(credentials: RaslCredentials) -> None:
    with pytest.raises(ValidationError) as raised:
        RaslWhatsAppNotification(
            credentials=credentials,
            to=PHONES,
            template_name="alert",
            body_parameter="field_1",
            subject_parameter="field_1",
        )

    assert "subject_parameter" in str(raised.value)


def test_notify_sends_text_to_each(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(credentials=credentials, to=PHONES)

    block.notify("The nightly import finished: 1,204 contacts.", subject="Import")

    messages = outbound_messages(api)
    assert len(messages) == 2
    assert {message["type"] for message in messages} == {"text"}
    expected = "Import\n\nThe nightly import finished: 1,204 contacts."
    assert [message["message"] for message in messages] == [expected, expected]


def test_notify_without_subject(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(credentials=credentials, to=PHONES[:1])

    block.notify("اكتمل الاستيراد \u200fبنجاح")

    assert [message["message"] for message in outbound_messages(api)] == [
        "اكتمل الاستيراد \u200fبنجاح"
    ]


def test_notify_cuts_long_text(
    credentials: RaslCredentials, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    block = RaslWhatsAppNotification(credentials=credentials, to=PHONES)

    with caplog.at_level(logging.WARNING):
        block.notify("x" * 5000)

    messages = outbound_messages(api)
    assert [len(message["message"]) for message in messages] == [4096, 4096]
    assert all(message["message"].endswith("…") for message in messages)
    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "5000 characters" in warnings[0].getMessage()


def test_notify_fills_template(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(
        credentials=credentials, to=PHONES, template_name="welcome_offer", language="en"
    )

    block.notify("Sara", subject="ignored without a subject parameter")

    messages = outbound_messages(api)
    assert [message["type"] for message in messages] == ["template", "template"]
    assert all("Sara" in message["message"] for message in messages)
    assert all("ignored" not in message["message"] for message in messages)


def test_notify_fills_subject_parameter(
    sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    sandbox.admin.add_template(
        template_name="prefect_alert",
        language="en",
        category="UTILITY",
        body="Prefect {{1}}: {{2}}",
    )
    block = RaslWhatsAppNotification(
        credentials=credentials,
        to=PHONES[:1],
        template_name="prefect_alert",
        body_parameter="field_2",
        subject_parameter="field_1",
    )

    block.notify("flow run crashed", subject="Alert")
    block.notify("flow run finished")

    messages = [message["message"] for message in outbound_messages(api)]
    assert messages == [
        "Prefect Alert: flow run crashed",
        "Prefect Prefect notification: flow run finished",
    ]


def test_notify_logs_failure_quietly(
    sandbox: Any, credentials: RaslCredentials, api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    block = RaslWhatsAppNotification(
        credentials=credentials, to=PHONES, template_name="no_such_template"
    )

    with caplog.at_level(logging.ERROR):
        block.notify("The import failed.")

    failures = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(failures) == 2
    assert "***0011" in failures[0].getMessage()
    assert all("966500000011" not in record.getMessage() for record in caplog.records)
    assert outbound_messages(api) == []


def test_notify_raises_when_asked(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(
        credentials=credentials, to=PHONES, template_name="no_such_template"
    )

    with pytest.raises(NotificationError) as raised, block.raise_on_failure():
        block.notify("The import failed.")

    log = raised.value.log
    assert "2 of 2 WhatsApp notifications failed" in log
    assert "***0011" in log
    assert "***0012" in log
    assert "NOT_FOUND" in log
    assert "966500000011" not in log


def test_notify_sends_to_the_rest(
    sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    opted_out = api.post(
        "/contacts",
        json={
            "firstname": "Omar",
            "lastname": "Nasser",
            "phone": PHONES[0],
            "type": "customer",
            "source_id": 1,
            "status_id": 1,
        },
    ).json()["data"]
    sandbox.admin.set_opt_out(opted_out["id"])
    block = RaslWhatsAppNotification(credentials=credentials, to=PHONES)

    with pytest.raises(NotificationError) as raised, block.raise_on_failure():
        block.notify("Deploy finished.")

    assert "1 of 2" in raised.value.log
    assert "CONTACT_OPTED_OUT" in raised.value.log
    assert [message["message"] for message in outbound_messages(api)] == ["Deploy finished."]


def test_raise_on_failure_resets(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(
        credentials=credentials, to=PHONES[:1], template_name="no_such_template"
    )
    with pytest.raises(NotificationError), block.raise_on_failure():
        block.notify("first")

    block.notify("second")

    assert outbound_messages(api) == []


def test_notify_awaited_in_async_code(credentials: RaslCredentials, api: httpx.Client) -> None:
    block = RaslWhatsAppNotification(credentials=credentials, to=PHONES)

    async def notify_like_an_automation() -> None:
        # Prefect's automation service awaits notify() with keyword arguments.
        await block.notify(subject="Automation", body="A flow run failed.")  # type: ignore[misc]

    asyncio.run(notify_like_an_automation())

    assert len(outbound_messages(api)) == 2


def test_anotify_raises_when_asked(credentials: RaslCredentials) -> None:
    block = RaslWhatsAppNotification(
        credentials=credentials, to=PHONES[:1], template_name="no_such_template"
    )

    async def notify() -> None:
        with block.raise_on_failure():
            await block.anotify("The import failed.")

    with pytest.raises(NotificationError) as raised:
        asyncio.run(notify())

    assert "1 of 1" in raised.value.log


def test_register_blocks_with_cli(prefect_server: str) -> None:
    environment = {
        **os.environ,
        "PREFECT_API_URL": prefect_server,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }

    completed = subprocess.run(
        [sys.executable, "-m", "prefect", "block", "register", "-m", "rasl_prefect"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "RASL Credentials" in completed.stdout
    assert "RASL WhatsApp Notification" in completed.stdout
    block_types = httpx.post(f"{prefect_server}/block_types/filter", json={}, timeout=30).json()
    slugs = {block_type["slug"] for block_type in block_types}
    assert "rasl-credentials" in slugs
    assert "rasl-whatsapp-notification" in slugs


def test_saved_credentials_load_working(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    name = f"rasl-sandbox-{uuid.uuid4().hex[:8]}"
    credentials.save(name, overwrite=True)

    loaded = RaslCredentials.load(name)

    assert loaded.api_token.get_secret_value() == sandbox.token
    assert loaded.base_url == sandbox.base_url
    assert loaded.get_client().get_account_info().status == "active"


def test_saved_notification_sends(
    prefect_server: str, credentials: RaslCredentials, api: httpx.Client
) -> None:
    name = f"rasl-alerts-{uuid.uuid4().hex[:8]}"
    RaslWhatsAppNotification(credentials=credentials, to=PHONES[:1]).save(name, overwrite=True)

    loaded = RaslWhatsAppNotification.load(name)
    loaded.notify("Saved and loaded.")

    assert (
        loaded.credentials.api_token.get_secret_value() == credentials.api_token.get_secret_value()
    )
    assert [message["message"] for message in outbound_messages(api)] == ["Saved and loaded."]


def test_automation_sends_notification(
    prefect_server: str, credentials: RaslCredentials, api: httpx.Client
) -> None:
    suffix = uuid.uuid4().hex[:8]
    block_id = RaslWhatsAppNotification(credentials=credentials, to=PHONES[:1]).save(
        f"rasl-automation-{suffix}", overwrite=True
    )
    Automation(
        name=f"rasl-alert-{suffix}",
        trigger=EventTrigger(
            expect={"rasl.test.alert"},
            match={"prefect.resource.id": f"rasl.test.{suffix}"},
            posture="Reactive",
            threshold=1,
        ),
        actions=[
            SendNotification(
                block_document_id=block_id, subject="Alert", body="{{ event.event }} happened"
            )
        ],
    ).create()

    # The trigger service may load a new automation a moment late, so the event is sent again
    # (at most 3 times) until a message arrives.
    messages: list[dict[str, Any]] = []
    for _ in range(3):
        emit_event(event="rasl.test.alert", resource={"prefect.resource.id": f"rasl.test.{suffix}"})
        deadline = time.monotonic() + 20
        while not messages and time.monotonic() < deadline:
            time.sleep(0.5)
            messages = outbound_messages(api)
        if messages:
            break

    assert messages
    assert messages[0]["message"] == "Alert\n\nrasl.test.alert happened"


def test_package_exports_blocks() -> None:
    assert rasl_prefect.RaslCredentials is RaslCredentials
    assert rasl_prefect.RaslWhatsAppNotification is RaslWhatsAppNotification
    assert rasl_prefect.__version__ == "0.1.0"
    for name in rasl_prefect.__all__:
        assert hasattr(rasl_prefect, name), name
