"""Deliveries reach a real Prefect server as events; rejected deliveries emit nothing."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventIDFilter, EventResourceFilter
from prefect.events.schemas.events import ReceivedEvent
from pydantic import SecretStr

from rasl_prefect.webhooks import PrefectEventEmitter, WebhookEvent, WebhookSettings
from tests.webhooks.conftest import (
    RASL_SECRET,
    WOOCOMMERCE_SECRET,
    RecordingEmitter,
    RunningReceiver,
    hex_signature,
    rasl_envelope,
    running_receiver,
    woocommerce_headers,
    woocommerce_order,
    woocommerce_signature,
)

DELIVERY_TIMEOUT_SECONDS = 45.0


@pytest.fixture(scope="module")
def prefect_receiver(prefect_server: str) -> Iterator[RunningReceiver]:
    """A receiver whose events go through emit_event to the test Prefect server."""
    settings = WebhookSettings(
        rasl_secret=SecretStr(RASL_SECRET),
        rasl_auth="signature",
        woocommerce_secret=SecretStr(WOOCOMMERCE_SECRET),
    )
    emitter = RecordingEmitter(target=PrefectEventEmitter())
    with running_receiver(settings, emitter) as receiver:
        yield receiver


def _read_events(event_filter: EventFilter) -> list[ReceivedEvent]:
    with get_client(sync_client=True) as client:
        return list(client.read_events(filter=event_filter, limit=50).events)


def _wait_for_events(event_filter: EventFilter, count: int) -> list[ReceivedEvent]:
    """Poll the Prefect API until `count` events match, for at most the delivery timeout."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while True:
        events = _read_events(event_filter)
        if len(events) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.5)


def _resource_filter(resource_id: str) -> EventFilter:
    return EventFilter(resource=EventResourceFilter(id=[resource_id]))


def _signed_rasl_post(receiver: RunningReceiver, document: dict) -> int:
    body = json.dumps(document, ensure_ascii=False).encode()
    response = receiver.client.post(
        "/rasl", content=body, headers={"X-Rasl-Signature": "sha256=" + hex_signature(body)}
    )
    return response.status_code


def test_rasl_event_reaches_prefect(prefect_receiver: RunningReceiver) -> None:
    resource_number = uuid.uuid4().int % 10**9
    document = rasl_envelope(event_id=f"evt_{resource_number}", resource_id=resource_number)

    status = _signed_rasl_post(prefect_receiver, document)
    events = _wait_for_events(_resource_filter(f"rasl.contact.{resource_number}"), 1)

    assert status == 202
    assert len(events) == 1
    event = events[0]
    assert event.event == "rasl.contact.created"
    assert event.resource.id == f"rasl.contact.{resource_number}"
    assert event.resource["rasl.tenant.id"] == "123"
    assert event.related[0].id == "rasl.tenant.123"
    assert event.related[0].role == "tenant"
    assert event.payload == document
    assert event.payload["data"]["resource"]["attributes"]["firstname"] == "سارة"


def test_rasl_redelivery_stored_once(prefect_receiver: RunningReceiver) -> None:
    resource_number = uuid.uuid4().int % 10**9
    document = rasl_envelope(event_id=f"evt_{resource_number}", resource_id=resource_number)

    statuses = [_signed_rasl_post(prefect_receiver, document) for _ in range(3)]
    marker = rasl_envelope(event_id=f"evt_marker_{resource_number}", resource_id=resource_number)
    _signed_rasl_post(prefect_receiver, marker)
    events = _wait_for_events(_resource_filter(f"rasl.contact.{resource_number}"), 2)

    assert statuses == [202, 200, 200]
    assert len(events) == 2


def test_same_event_id_stored_once(prefect_server: str) -> None:
    # A redelivery after a receiver restart reaches Prefect again with the same event id.
    emitter = PrefectEventEmitter()
    resource_id = f"rasl.contact.{uuid.uuid4().int % 10**9}"
    event = WebhookEvent(
        name="rasl.contact.updated",
        resource={"prefect.resource.id": resource_id},
        payload={"attempt": 1},
        event_id=uuid.uuid4(),
    )
    marker = WebhookEvent(
        name="rasl.contact.deleted",
        resource={"prefect.resource.id": resource_id},
        payload={},
        event_id=uuid.uuid4(),
    )

    results = [emitter.emit(event), emitter.emit(event), emitter.emit(marker)]
    events = _wait_for_events(_resource_filter(resource_id), 2)
    time.sleep(2)
    events = _read_events(_resource_filter(resource_id))

    assert results == [True, True, True]
    assert sorted(item.event for item in events) == ["rasl.contact.deleted", "rasl.contact.updated"]


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw-utf8"])
def test_woocommerce_arabic_order_reaches_prefect(
    prefect_receiver: RunningReceiver, ensure_ascii: bool
) -> None:
    order_id = uuid.uuid4().int % 10**9
    order = woocommerce_order(order_id=order_id, first_name="\u200fفاطمة")
    body = json.dumps(order, ensure_ascii=ensure_ascii).encode()

    response = prefect_receiver.client.post(
        "/woocommerce", content=body, headers=woocommerce_headers(body, delivery_id=str(order_id))
    )
    events = _wait_for_events(_resource_filter(f"woocommerce.order.{order_id}"), 1)

    assert response.status_code == 202
    assert len(events) == 1
    event = events[0]
    assert event.event == "woocommerce.order.created"
    assert event.id == uuid.UUID(response.json()["event_id"])
    assert event.payload["billing_first_name"] == "\u200fفاطمة"
    assert event.payload["billing_phone"] == "+966500000011"
    assert event.payload["order"]["line_items"][0]["name"] == "قهوة عربية"


def test_rejected_deliveries_emit_nothing(prefect_receiver: RunningReceiver) -> None:
    order_id = uuid.uuid4().int % 10**9
    body = json.dumps(woocommerce_order(order_id=order_id)).encode()
    emitted_before = len(prefect_receiver.emitter.events)
    wrong_signature = woocommerce_headers(body, signature=woocommerce_signature(body, "other"))
    no_signature = woocommerce_headers(body)
    del no_signature["X-WC-Webhook-Signature"]
    malformed = b"{" + body
    oversized = body + b" " * 1_100_000
    rejected = [
        (body, wrong_signature),
        (body, no_signature),
        (malformed, woocommerce_headers(malformed)),
        (oversized, woocommerce_headers(oversized)),
    ]

    statuses = [
        prefect_receiver.client.post("/woocommerce", content=content, headers=headers).status_code
        for content, headers in rejected
    ]
    ping = prefect_receiver.client.post("/woocommerce", content=b"webhook_id=3")

    # An accepted delivery of a different order, sent last, proves the earlier ones had time.
    marker_id = order_id + 1
    marker_body = json.dumps(woocommerce_order(order_id=marker_id)).encode()
    marker = prefect_receiver.client.post(
        "/woocommerce",
        content=marker_body,
        headers=woocommerce_headers(marker_body, delivery_id="m"),
    )
    _wait_for_events(_resource_filter(f"woocommerce.order.{marker_id}"), 1)
    leaked = _read_events(_resource_filter(f"woocommerce.order.{order_id}"))

    assert statuses == [401, 401, 400, 413]
    assert ping.status_code == 200
    assert marker.status_code == 202
    assert len(prefect_receiver.emitter.events) == emitted_before + 1
    assert leaked == []


def test_emitter_without_api_url() -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    event = WebhookEvent(
        name="rasl.contact.created",
        resource={"prefect.resource.id": "rasl.contact.1"},
        payload={},
        event_id=uuid.uuid4(),
    )

    with temporary_settings(updates={PREFECT_API_URL: None}):
        queued = PrefectEventEmitter().emit(event)

    assert queued is False


def test_event_filter_by_id(prefect_receiver: RunningReceiver) -> None:
    resource_number = uuid.uuid4().int % 10**9
    document = rasl_envelope(event_id=f"evt_{resource_number}", resource_id=resource_number)

    _signed_rasl_post(prefect_receiver, document)
    event_id = prefect_receiver.emitter.events[-1].event_id
    events = _wait_for_events(EventFilter(id=EventIDFilter(id=[event_id])), 1)

    assert [item.id for item in events] == [event_id]


def test_cli_delivery_survives_shutdown(prefect_server: str) -> None:
    from tests.webhooks.test_cli import _environment, _free_port, _start, _stop, _wait_until_healthy

    order_id = uuid.uuid4().int % 10**9
    body = json.dumps(woocommerce_order(order_id=order_id), ensure_ascii=True).encode()
    port = _free_port()
    process = _start(
        ["--port", str(port)],
        _environment(prefect_server, WOOCOMMERCE_WEBHOOK_SECRET=WOOCOMMERCE_SECRET),
    )

    try:
        _wait_until_healthy(port, process)
        response = httpx.post(
            f"http://127.0.0.1:{port}/woocommerce",
            content=body,
            headers=woocommerce_headers(body, delivery_id=f"cli-{order_id}"),
            timeout=10,
        )
    finally:
        # The receiver stops right after the response, and the event must still reach Prefect.
        returncode, output = _stop(process, signal.SIGTERM)
    events = _wait_for_events(_resource_filter(f"woocommerce.order.{order_id}"), 1)

    assert response.status_code == 202
    assert returncode == 0
    assert [event.id for event in events] == [uuid.UUID(response.json()["event_id"])]
    assert WOOCOMMERCE_SECRET not in output
    assert "+966500000011" not in output
