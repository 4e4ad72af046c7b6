"""Recognise WooCommerce pings and build the Prefect event for a WooCommerce delivery.

WooCommerce POSTs the resource as JSON with these headers: `X-WC-Webhook-Topic`
(`order.created`), `X-WC-Webhook-Resource`, `X-WC-Webhook-Event`, `X-WC-Webhook-ID`,
`X-WC-Webhook-Source` (the store URL), `X-WC-Webhook-Delivery-ID` and
`X-WC-Webhook-Signature`. A deleted resource arrives as `{"id": N}` only.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from rasl_prefect.webhooks.events import WebhookEvent, derive_event_id, payload_size

PING_BODY_PATTERN = re.compile(rb"webhook_id=[0-9]{1,20}")
TOPIC_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
HEADER_VALUE_MAX_LENGTH = 500

# Topics whose body is the resource with an `id`; other topics (`action.*`) carry no resource id.
RESOURCES_WITH_ID = frozenset({"order", "product", "customer", "coupon"})


class WooCommerceDeliveryError(ValueError):
    """The delivery's headers or JSON body cannot be turned into an event."""


@dataclass(frozen=True)
class WooCommerceHeaders:
    """The WooCommerce headers of one delivery.

    Attributes:
        topic: The webhook topic, such as `order.created`.
        delivery_id: The delivery id. WooCommerce derives it from the webhook id and the
            current second, so two deliveries of one webhook in the same second share it.
        webhook_id: The webhook's id in the store, or an empty string.
        source: The store URL, or an empty string.
    """

    topic: str
    delivery_id: str
    webhook_id: str
    source: str


def is_ping(body: bytes) -> bool:
    """Return True for WooCommerce's unsigned ping body, `webhook_id=N`."""
    return PING_BODY_PATTERN.fullmatch(body.strip()) is not None


def parse_headers(headers: Any) -> WooCommerceHeaders:
    """Read the WooCommerce headers from a case-insensitive header mapping.

    Raises:
        WooCommerceDeliveryError: The topic or the delivery id is missing or malformed.
    """
    topic = (headers.get("x-wc-webhook-topic") or "").strip()
    if not TOPIC_PATTERN.fullmatch(topic) or len(topic) > 100:
        raise WooCommerceDeliveryError(
            "X-WC-Webhook-Topic is missing or not of the form 'resource.event', "
            "such as 'order.created'."
        )

    delivery_id = (headers.get("x-wc-webhook-delivery-id") or "").strip()
    if not delivery_id or len(delivery_id) > HEADER_VALUE_MAX_LENGTH:
        raise WooCommerceDeliveryError(
            "X-WC-Webhook-Delivery-ID is missing or longer than 500 characters."
        )

    webhook_id = (headers.get("x-wc-webhook-id") or "").strip()[:HEADER_VALUE_MAX_LENGTH]
    source = (headers.get("x-wc-webhook-source") or "").strip()[:HEADER_VALUE_MAX_LENGTH]
    return WooCommerceHeaders(
        topic=topic, delivery_id=delivery_id, webhook_id=webhook_id, source=source
    )


def woocommerce_delivery_key(headers: WooCommerceHeaders, body: bytes) -> str:
    """Return the deduplication key of a delivery: store, webhook, delivery id and body digest.

    The body digest is part of the key because WooCommerce gives every delivery of one
    webhook within the same second the same delivery id. Without the digest, the second
    of two orders saved in one second would be dropped as a duplicate.
    """
    body_digest = hashlib.sha256(body).hexdigest()
    return f"{headers.source}:{headers.webhook_id}:{headers.delivery_id}:{body_digest}"


def build_woocommerce_event(
    document: Any,
    headers: WooCommerceHeaders,
    body: bytes,
    max_payload_bytes: int,
    include_full_order: bool,
) -> WebhookEvent:
    """Build the Prefect event for a WooCommerce delivery.

    The event is `woocommerce.<topic>`, such as `woocommerce.order.created`. Its resource
    is `woocommerce.<resource>.<id>` for orders, products, customers and coupons, and
    `woocommerce.webhook.<webhook id>` for other topics.

    The payload always has `topic`, `delivery_id`, `webhook_id`, `source` and `id`. An
    order adds `order_id`, `number`, `status`, `total`, `currency`, `billing_first_name`,
    `billing_phone` and `billing_country`. With `include_full_order`, the whole order is
    added under `order` (other resources: their body under `resource`) unless the payload
    would exceed `max_payload_bytes`. In that case the payload gets `"truncated": true`.

    Args:
        document: The decoded JSON body.
        headers: The delivery's WooCommerce headers.
        body: The raw body, for the event id.
        max_payload_bytes: The largest payload to attach.
        include_full_order: Attach the whole order or resource body.

    Returns:
        The event, whose id is derived from the delivery key.

    Raises:
        WooCommerceDeliveryError: The body is not a JSON object, or a resource topic's
            body has no usable `id`.
    """
    if not isinstance(document, dict):
        raise WooCommerceDeliveryError(
            f"The body is a JSON {type(document).__name__}, "
            "expected the WooCommerce resource as an object."
        )

    resource_name = headers.topic.split(".", 1)[0]
    resource_id = _resource_id(document) if resource_name in RESOURCES_WITH_ID else None
    if resource_name in RESOURCES_WITH_ID and resource_id is None:
        raise WooCommerceDeliveryError(
            f"The {resource_name} body has no 'id' that is a positive integer or a short string."
        )

    payload: dict[str, Any] = {
        "topic": headers.topic,
        "delivery_id": headers.delivery_id,
        "webhook_id": headers.webhook_id,
        "source": headers.source,
        "id": resource_id,
    }
    if resource_name == "order":
        payload.update(_order_summary(document))

    full_body_key = "order" if resource_name == "order" else "resource"
    if include_full_order:
        with_body = {**payload, full_body_key: document}
        if payload_size(with_body) <= max_payload_bytes:
            payload = with_body
        else:
            payload["truncated"] = True

    if resource_id is not None:
        resource_label = f"woocommerce.{resource_name}.{resource_id}"
    else:
        resource_label = f"woocommerce.webhook.{headers.webhook_id or 'unknown'}"
    resource = {"prefect.resource.id": resource_label}
    if headers.source:
        resource["woocommerce.source"] = headers.source
    if headers.webhook_id:
        resource["woocommerce.webhook.id"] = headers.webhook_id

    return WebhookEvent(
        name=f"woocommerce.{headers.topic}",
        resource=resource,
        payload=payload,
        event_id=derive_event_id("woocommerce", woocommerce_delivery_key(headers, body)),
    )


def _resource_id(document: dict[str, Any]) -> str | None:
    value = document.get("id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and 0 < len(value) <= 100 and value.isascii() and value.isalnum():
        return value
    return None


def _order_summary(order: dict[str, Any]) -> dict[str, Any]:
    billing = order.get("billing")
    if not isinstance(billing, dict):
        billing = {}
    return {
        "order_id": order.get("id"),
        "number": order.get("number"),
        "status": order.get("status"),
        "total": order.get("total"),
        "currency": order.get("currency"),
        "billing_first_name": billing.get("first_name"),
        "billing_phone": billing.get("phone"),
        "billing_country": billing.get("country"),
    }
