"""Outbound CRM webhooks (contact, source and status changes), signed and sent from a thread."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import queue
import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from rasl_prefect.sandbox.clock import isoformat
from rasl_prefect.sandbox.errors import ApiError
from rasl_prefect.sandbox.state import SandboxState

logger = logging.getLogger("rasl_prefect.sandbox.webhooks")

SIGNATURE_HEADER = "X-Rasl-Signature"
"""Header with `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the secret."""
EVENT_HEADER = "X-Rasl-Event"
DELIVERY_HEADER = "X-Rasl-Delivery"
EVENT_TYPES = tuple(
    f"{resource}.{action}"
    for resource in ("contact", "source", "status")
    for action in ("created", "updated", "deleted")
)
MAX_DELIVERY_RECORDS = 1000
MAX_QUEUED_EVENTS = 10_000


@dataclass
class WebhookConfig:
    """The target URL, secret, event types and timeout of outbound webhooks."""

    url: str
    secret: str
    events: list[str] = field(default_factory=lambda: list(EVENT_TYPES))
    timeout_seconds: float = 5.0


def sign(secret: str, body: bytes) -> str:
    """Return the signature header value of `body`: `sha256=<hex HMAC-SHA256>`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _check_loopback(url: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https"):
        raise ApiError(
            422, "VALIDATION_ERROR", f"Webhook URL {url!r} must start with http:// or https://."
        )
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"Webhook URL host {host!r} is not a loopback address; the sandbox only delivers to "
            "127.0.0.1, [::1] or localhost.",
        )


class WebhookDispatcher:
    """Builds the documented event envelope for each CRM change and posts it from one thread.

    Each event is posted once, with the configured timeout; the outcome of every delivery is kept
    for `deliveries()`.
    """

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.config: WebhookConfig | None = None
        self._queue: queue.Queue[tuple[WebhookConfig, dict[str, Any]] | None] = queue.Queue(
            MAX_QUEUED_EVENTS
        )
        self._deliveries: deque[dict[str, Any]] = deque(maxlen=MAX_DELIVERY_RECORDS)
        self._pending = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        state.event_hook = self.on_change

    def configure(self, values: dict[str, Any]) -> WebhookConfig:
        """Set the target URL, secret, event types and timeout.

        Raises:
            ApiError: 422 for a URL that is not loopback, an unknown event type or a bad timeout.
        """
        url = str(values.get("url") or "")
        _check_loopback(url)
        events = list(values.get("events") or EVENT_TYPES)
        unknown = [event for event in events if event not in EVENT_TYPES]
        if unknown:
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"Unknown event type(s) {', '.join(unknown)}; known: {', '.join(EVENT_TYPES)}.",
            )
        timeout = float(values.get("timeout_seconds", 5.0))
        if not 0 < timeout <= 60:
            raise ApiError(
                422, "VALIDATION_ERROR", f"timeout_seconds must be between 0 and 60, not {timeout}."
            )
        secret = str(values.get("secret") or secrets.token_urlsafe(24))
        self.config = WebhookConfig(url=url, secret=secret, events=events, timeout_seconds=timeout)
        self._ensure_thread()
        return self.config

    def disable(self) -> None:
        """Stop sending webhooks and forget past deliveries."""
        self.config = None
        with self._lock:
            self._deliveries.clear()

    def deliveries(self) -> dict[str, Any]:
        """Return the delivery records and how many events still wait to be sent."""
        with self._lock:
            return {"pending": self._pending, "deliveries": list(self._deliveries)}

    def on_change(
        self, resource: str, action: str, record: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """Queue the event for a CRM change, when webhooks are configured for its type."""
        config = self.config
        event_type = f"{resource}.{action}"
        if config is None or event_type not in config.events:
            return
        payload = self._envelope(resource, action, record, previous)
        with self._lock:
            self._pending += 1
        try:
            self._queue.put_nowait((config, payload))
        except queue.Full:
            with self._lock:
                self._pending -= 1
                self._deliveries.append(
                    {
                        "event_id": payload["event"]["id"],
                        "type": event_type,
                        "error": "queue full; event dropped",
                    }
                )
            logger.warning("Webhook queue full; dropped event %s", payload["event"]["id"])

    def _envelope(
        self, resource: str, action: str, record: dict[str, Any], previous: dict[str, Any] | None
    ) -> dict[str, Any]:
        now = self.state.now()
        attributes = {name: value for name, value in record.items() if name != "id"}
        previous_attributes = (
            {name: value for name, value in previous.items() if name != "id"}
            if previous is not None
            else None
        )
        if action == "updated" and previous_attributes is not None:
            modified: list[str] | None = sorted(
                name
                for name, value in attributes.items()
                if previous_attributes.get(name) != value and name != "updated_at"
            )
        else:
            modified = None
        relationships: dict[str, Any] = {}
        if resource == "contact":
            relationships = {
                "source": {"id": record.get("source_id")},
                "status": {"id": record.get("status_id")},
                "groups": [{"id": group_id} for group_id in record.get("group_id") or []],
            }
        tenant = self.state.tenant
        return {
            "event": {
                "id": f"evt_{int(now)}_{secrets.token_hex(4)}",
                "type": f"{resource}.{action}",
                "timestamp": isoformat(now),
                "version": "1.0",
            },
            "tenant": {"id": tenant["id"], "name": tenant["name"], "domain": tenant["domain"]},
            "data": {
                "resource": {"type": resource, "id": record.get("id"), "attributes": attributes},
                "relationships": relationships,
            },
            "changes": {
                "previous": previous_attributes if action != "created" else None,
                "current": attributes if action != "deleted" else None,
                "modified_fields": modified,
            },
            "metadata": {
                "source": "api_webhook_manager",
                "environment": "sandbox",
                "request_id": str(uuid.uuid4()),
            },
        }

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="rasl-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        with httpx.Client() as client:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                config, payload = item
                self._deliver(client, config, payload)

    def _deliver(
        self, client: httpx.Client, config: WebhookConfig, payload: dict[str, Any]
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        event_id = payload["event"]["id"]
        record: dict[str, Any] = {
            "event_id": event_id,
            "type": payload["event"]["type"],
            "url": config.url,
        }
        started = time.monotonic()
        try:
            response = client.post(
                config.url,
                content=body,
                headers={
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(config.secret, body),
                    EVENT_HEADER: payload["event"]["type"],
                    DELIVERY_HEADER: event_id,
                    "User-Agent": "rasl-sandbox-webhooks",
                },
                timeout=config.timeout_seconds,
            )
            record["status_code"] = response.status_code
        except httpx.HTTPError as error:
            record["error"] = f"{type(error).__name__}: {error}"
            logger.warning("Webhook %s to %s failed: %s", event_id, config.url, record["error"])
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        with self._lock:
            self._deliveries.append(record)
            self._pending -= 1

    def stop(self) -> None:
        """Stop the delivery thread after the queued events are sent."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)
        self._thread = None
