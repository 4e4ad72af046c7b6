"""Fixtures for the webhook receiver: uvicorn in a thread on 127.0.0.1 and signed requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from starlette.types import ASGIApp

from rasl_prefect.webhooks import WebhookEvent, WebhookSettings, create_webhook_app
from rasl_prefect.webhooks.events import EventEmitter

RASL_SECRET = "rasl-Secret_&=/ +%?#~!\"'"
WOOCOMMERCE_SECRET = "wc sécret with spaces, quotes \" ' & <tags> and سر"


@dataclass
class RecordingEmitter:
    """Records every event, then passes it on to `target` or reports `succeed`."""

    target: EventEmitter | None = None
    succeed: bool = True
    events: list[WebhookEvent] = field(default_factory=list)

    def emit(self, event: WebhookEvent) -> bool:
        self.events.append(event)
        if self.target is not None:
            return self.target.emit(event)
        return self.succeed


@dataclass
class RunningReceiver:
    """A receiver served on 127.0.0.1 with the emitter it reports to."""

    base_url: str
    emitter: RecordingEmitter
    client: httpx.Client


@contextmanager
def serve(app: ASGIApp, startup_timeout_seconds: float = 10.0) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free 127.0.0.1 port and return its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="webhook-receiver", daemon=True)
    thread.start()

    deadline = time.monotonic() + startup_timeout_seconds
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start within the timeout")
        time.sleep(0.02)

    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def running_receiver(
    settings: WebhookSettings, emitter: RecordingEmitter | None = None
) -> Iterator[RunningReceiver]:
    """Start a receiver with `settings` and an HTTP client for it."""
    emitter = emitter or RecordingEmitter()
    with serve(create_webhook_app(settings, emitter=emitter)) as base_url:
        with httpx.Client(base_url=base_url, timeout=10) as client:
            yield RunningReceiver(base_url=base_url, emitter=emitter, client=client)


@pytest.fixture
def receiver_factory() -> Iterator[Callable[..., RunningReceiver]]:
    """Return a function that starts a receiver with settings overrides; all stop at teardown."""
    stack: list[Any] = []

    def start(emitter: RecordingEmitter | None = None, **overrides: Any) -> RunningReceiver:
        values: dict[str, Any] = {
            "rasl_secret": SecretStr(RASL_SECRET),
            "woocommerce_secret": SecretStr(WOOCOMMERCE_SECRET),
        }
        values.update(overrides)
        context = running_receiver(WebhookSettings(**values), emitter)
        stack.append(context)
        return context.__enter__()

    yield start
    for context in reversed(stack):
        context.__exit__(None, None, None)


def woocommerce_signature(body: bytes, secret: str = WOOCOMMERCE_SECRET) -> str:
    """Sign `body` the way WooCommerce does: base64 of the HMAC-SHA256 digest."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def hex_signature(body: bytes, secret: str = RASL_SECRET) -> str:
    """Return the hex HMAC-SHA256 of `body`."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def woocommerce_headers(
    body: bytes,
    topic: str = "order.created",
    delivery_id: str = "delivery-1",
    signature: str | None = None,
) -> dict[str, str]:
    """Return the headers WooCommerce sends with a signed delivery of `body`."""
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[1],
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": delivery_id,
        "X-WC-Webhook-Signature": signature or woocommerce_signature(body),
    }


def rasl_envelope(
    event_id: str = "evt_1702468200_abc123",
    event_type: str = "contact.created",
    resource_id: int | str = 123,
    **attributes: Any,
) -> dict[str, Any]:
    """Return a RASL webhook envelope in the documented shape."""
    resource_type = event_type.split(".")[0]
    return {
        "event": {
            "id": event_id,
            "type": event_type,
            "timestamp": "2025-12-12T14:30:00.000Z",
            "version": "1.0",
        },
        "tenant": {"id": 123, "name": "Acme Corporation", "domain": "acme"},
        "data": {
            "resource": {
                "type": resource_type,
                "id": resource_id,
                "attributes": {"firstname": "سارة", "lastname": "Ali", **attributes},
            },
            "relationships": {},
        },
        "changes": {"previous": None, "current": {"firstname": "سارة"}, "modified_fields": None},
        "metadata": {
            "source": "api_webhook_manager",
            "environment": "production",
            "request_id": "6f1c2f9e-3f47-4a53-9d0b-1f0a5b8b2a11",
        },
    }


def woocommerce_order(order_id: int = 4321, first_name: str = "فاطمة") -> dict[str, Any]:
    """Return a WooCommerce order (REST API v3 shape, shortened) with an Arabic customer."""
    return {
        "id": order_id,
        "number": str(order_id),
        "status": "processing",
        "currency": "SAR",
        "total": "149.50",
        "billing": {
            "first_name": first_name,
            "last_name": "الحربي",
            "phone": "+966500000011",
            "country": "SA",
            "address_1": "\u200fشارع الملك فهد",
        },
        "line_items": [{"id": 1, "name": "قهوة عربية", "quantity": 2, "total": "149.50"}],
    }
