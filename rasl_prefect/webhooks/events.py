"""The Prefect event built from one webhook delivery, and how it reaches Prefect."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from rasl_prefect.logging import get_logger

# Fixed namespace for the uuid5 event ids, so one delivery always maps to one Prefect event id.
EVENT_ID_NAMESPACE = uuid.UUID("6d1f3c0e-2b7a-5c8e-9f41-3a6b2d8e7c10")


def derive_event_id(source: str, delivery_key: str) -> uuid.UUID:
    """Return the Prefect event id of a delivery: a uuid5 of its source and delivery key.

    Prefect's event store keeps one event per id, so a redelivery that reaches Prefect
    again is stored once.

    Args:
        source: The sender, `rasl` or `woocommerce`.
        delivery_key: A key that is equal for two deliveries of the same event.

    Returns:
        A UUID that depends only on the arguments.
    """
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{source}:{delivery_key}")


@dataclass(frozen=True)
class WebhookEvent:
    """A Prefect event ready to emit.

    Attributes:
        name: The event name, such as `rasl.contact.created`.
        resource: The resource labels; `prefect.resource.id` names the resource.
        related: Related resources, each with `prefect.resource.id` and `prefect.resource.role`.
        payload: The JSON payload attached to the event.
        event_id: The Prefect event id, derived from the delivery.
    """

    name: str
    resource: dict[str, str]
    payload: dict[str, Any]
    event_id: uuid.UUID
    related: list[dict[str, str]] = field(default_factory=list)


def payload_size(payload: dict[str, Any]) -> int:
    """Return the size in bytes of `payload` serialised as compact JSON."""
    return len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class EventEmitter(Protocol):
    """Sends a `WebhookEvent` to Prefect."""

    def emit(self, event: WebhookEvent) -> bool:
        """Queue the event for Prefect and return True, or log why not and return False."""
        ...


class PrefectEventEmitter:
    """Emits events with `prefect.events.emit_event` through Prefect's events worker.

    `emit_event` only queues the event: a background thread streams it over a websocket
    to `PREFECT_API_URL` and resends unconfirmed events after a reconnect. Failures in
    that thread are logged by Prefect's own loggers (`prefect.events.clients` and
    `prefect._internal.concurrency`), not by this class.
    """

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[Any] | None = None) -> None:
        self._logger = logger or get_logger("rasl_prefect.webhooks")

    def emit(self, event: WebhookEvent) -> bool:
        """Queue `event` for Prefect.

        Args:
            event: The event to emit.

        Returns:
            True when the event was queued; False when no Prefect API is configured or
            Prefect rejected the event, which is logged with the event id.
        """
        from prefect.events import emit_event
        from prefect.exceptions import EventTooLarge
        from prefect.settings import PREFECT_API_URL

        # Without PREFECT_API_URL, emit_event would start a temporary Prefect server that
        # no flow reads from, so the event is rejected instead.
        if not PREFECT_API_URL.value():
            self._logger.error(
                "Cannot emit %s (event id %s): PREFECT_API_URL is not set; "
                "set it to the Prefect server's API URL.",
                event.name,
                event.event_id,
            )
            return False

        try:
            emitted = emit_event(
                event=event.name,
                resource=event.resource,
                related=event.related or None,
                payload=event.payload,
                id=event.event_id,
            )
        except EventTooLarge as error:
            self._logger.error(
                "Prefect rejected %s (event id %s): %s", event.name, event.event_id, error
            )
            return False

        if emitted is None:
            # emit_event logs its own exception before returning None.
            self._logger.error(
                "Prefect did not queue %s (event id %s); see the preceding Prefect log lines.",
                event.name,
                event.event_id,
            )
            return False

        self._logger.info(
            "Queued %s for %s (event id %s, payload %d bytes)",
            event.name,
            event.resource["prefect.resource.id"],
            event.event_id,
            payload_size(event.payload),
        )
        return True


def drain_prefect_events(timeout_seconds: float) -> None:
    """Wait up to `timeout_seconds` for Prefect's events worker to send its queued events.

    Call it from a thread without a running event loop; the receiver calls it on shutdown.
    """
    from prefect.events.worker import EventsWorker

    EventsWorker.drain_all(timeout=timeout_seconds, at_exit=False)
