"""The WooCommerce endpoint over real HTTP on 127.0.0.1, with a recording emitter."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from rasl_prefect.webhooks import WebhookSettings
from tests.webhooks.conftest import (
    RASL_SECRET,
    WOOCOMMERCE_SECRET,
    RunningReceiver,
    running_receiver,
    woocommerce_headers,
    woocommerce_order,
    woocommerce_signature,
)

Factory = Callable[..., RunningReceiver]


def _php_json(document: object) -> bytes:
    """Encode like PHP's wp_json_encode: non-ASCII as \\uXXXX and '/' as '\\/'."""
    return (
        json.dumps(document, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    )


def test_woocommerce_ping_answered_200(receiver_factory: Factory) -> None:
    receiver = receiver_factory()

    response = receiver.client.post(
        "/woocommerce",
        content=b"webhook_id=15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert receiver.emitter.events == []


def test_woocommerce_escaped_arabic_order(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = _php_json(woocommerce_order())
    assert b"\\u0641\\u0627\\u0637\\u0645\\u0629" in body

    response = receiver.client.post("/woocommerce", content=body, headers=woocommerce_headers(body))

    assert response.status_code == 202
    event = receiver.emitter.events[0]
    assert event.name == "woocommerce.order.created"
    assert event.resource == {
        "prefect.resource.id": "woocommerce.order.4321",
        "woocommerce.source": "https://shop.example/",
        "woocommerce.webhook.id": "7",
    }
    assert event.payload["billing_first_name"] == "فاطمة"
    assert event.payload["order"]["billing"]["address_1"] == "\u200fشارع الملك فهد"


def test_woocommerce_raw_utf8_order(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = json.dumps(woocommerce_order(first_name="\u200fنورة\u200f"), ensure_ascii=False).encode()

    response = receiver.client.post("/woocommerce", content=body, headers=woocommerce_headers(body))

    assert response.status_code == 202
    assert receiver.emitter.events[0].payload["billing_first_name"] == "\u200fنورة\u200f"


def test_woocommerce_order_payload_summary(receiver_factory: Factory) -> None:
    receiver = receiver_factory(include_full_order=False)
    body = _php_json(woocommerce_order())

    receiver.client.post(
        "/woocommerce",
        content=body,
        headers=woocommerce_headers(body, topic="order.updated", delivery_id="d-9"),
    )

    event = receiver.emitter.events[0]
    assert event.name == "woocommerce.order.updated"
    assert event.payload == {
        "topic": "order.updated",
        "delivery_id": "d-9",
        "webhook_id": "7",
        "source": "https://shop.example/",
        "id": "4321",
        "order_id": 4321,
        "number": "4321",
        "status": "processing",
        "total": "149.50",
        "currency": "SAR",
        "billing_first_name": "فاطمة",
        "billing_phone": "+966500000011",
        "billing_country": "SA",
    }


def test_woocommerce_large_order_truncated(receiver_factory: Factory) -> None:
    receiver = receiver_factory(max_event_payload_bytes=2048)
    order = woocommerce_order()
    order["line_items"] = [{"id": index, "name": "قهوة"} for index in range(200)]
    body = _php_json(order)

    response = receiver.client.post("/woocommerce", content=body, headers=woocommerce_headers(body))

    assert response.status_code == 202
    payload = receiver.emitter.events[0].payload
    assert payload["truncated"] is True
    assert "order" not in payload
    assert payload["billing_phone"] == "+966500000011"


def test_woocommerce_deleted_order(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = b'{"id":4321}'

    response = receiver.client.post(
        "/woocommerce", content=body, headers=woocommerce_headers(body, topic="order.deleted")
    )

    assert response.status_code == 202
    event = receiver.emitter.events[0]
    assert event.name == "woocommerce.order.deleted"
    assert event.resource["prefect.resource.id"] == "woocommerce.order.4321"
    assert event.payload["status"] is None


def test_woocommerce_product_topic(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = _php_json({"id": 55, "name": "قهوة"})

    response = receiver.client.post(
        "/woocommerce", content=body, headers=woocommerce_headers(body, topic="product.updated")
    )

    assert response.status_code == 202
    event = receiver.emitter.events[0]
    assert event.name == "woocommerce.product.updated"
    assert event.resource["prefect.resource.id"] == "woocommerce.product.55"
    assert event.payload["resource"] == {"id": 55, "name": "قهوة"}


def test_woocommerce_action_topic(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = _php_json({"action": "woocommerce_add_to_cart", "arg": "abc"})

    response = receiver.client.post(
        "/woocommerce",
        content=body,
        headers=woocommerce_headers(body, topic="action.woocommerce_add_to_cart"),
    )

    assert response.status_code == 202
    assert receiver.emitter.events[0].name == "woocommerce.action.woocommerce_add_to_cart"
    assert receiver.emitter.events[0].resource["prefect.resource.id"] == "woocommerce.webhook.7"


def test_woocommerce_reserialised_signature_rejected(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    escaped = _php_json(woocommerce_order())
    raw = json.dumps(json.loads(escaped), ensure_ascii=False, separators=(",", ":")).encode()

    response = receiver.client.post(
        "/woocommerce",
        content=raw,
        headers=woocommerce_headers(raw, signature=woocommerce_signature(escaped)),
    )

    assert response.status_code == 401
    assert receiver.emitter.events == []


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing_signature"),
        ("", "invalid_signature"),
        ("AAAA", "invalid_signature"),
        ("wrong-secret", "invalid_signature"),
    ],
)
def test_woocommerce_bad_signature(
    receiver_factory: Factory, signature: str | None, error: str
) -> None:
    receiver = receiver_factory()
    body = _php_json(woocommerce_order())
    headers = woocommerce_headers(body)
    if signature is None:
        del headers["X-WC-Webhook-Signature"]
    elif signature == "wrong-secret":
        headers["X-WC-Webhook-Signature"] = woocommerce_signature(body, secret="other")
    else:
        headers["X-WC-Webhook-Signature"] = signature

    response = receiver.client.post("/woocommerce", content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == error
    assert receiver.emitter.events == []


def test_woocommerce_special_secret(receiver_factory: Factory) -> None:
    secret = "k&amp;<>\"'\\ %00 ١٢٣ 🔑"
    receiver = receiver_factory(woocommerce_secret=SecretStr(secret))
    body = _php_json(woocommerce_order())

    response = receiver.client.post(
        "/woocommerce",
        content=body,
        headers=woocommerce_headers(body, signature=woocommerce_signature(body, secret=secret)),
    )

    assert response.status_code == 202


def test_woocommerce_redelivery_is_duplicate(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = _php_json(woocommerce_order())
    headers = woocommerce_headers(body, delivery_id="same-delivery")

    first = receiver.client.post("/woocommerce", content=body, headers=headers)
    second = receiver.client.post("/woocommerce", content=body, headers=headers)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert len(receiver.emitter.events) == 1


def test_woocommerce_shared_delivery_id_other_order(receiver_factory: Factory) -> None:
    # WooCommerce derives the delivery id from the webhook id and the current second.
    receiver = receiver_factory()
    bodies = [_php_json(woocommerce_order(order_id=order_id)) for order_id in (1, 2)]

    responses = [
        receiver.client.post(
            "/woocommerce", content=body, headers=woocommerce_headers(body, delivery_id="same")
        )
        for body in bodies
    ]

    assert [response.status_code for response in responses] == [202, 202]
    assert len(receiver.emitter.events) == 2


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({"X-WC-Webhook-Topic": ""}, "invalid_headers"),
        ({"X-WC-Webhook-Topic": "order"}, "invalid_headers"),
        ({"X-WC-Webhook-Topic": "order.created; drop"}, "invalid_headers"),
        ({"X-WC-Webhook-Delivery-ID": ""}, "invalid_headers"),
    ],
)
def test_woocommerce_invalid_headers(
    receiver_factory: Factory, headers: dict[str, str], error: str
) -> None:
    receiver = receiver_factory()
    body = _php_json(woocommerce_order())

    response = receiver.client.post(
        "/woocommerce", content=body, headers={**woocommerce_headers(body), **headers}
    )

    assert response.status_code == 422
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{broken", 400),
        (b"[1, 2]", 422),
        (b'{"id": -4}', 422),
        (b'{"id": true}', 422),
        (b'{"number": "12"}', 422),
    ],
)
def test_woocommerce_signed_bad_body(receiver_factory: Factory, body: bytes, status: int) -> None:
    receiver = receiver_factory()

    response = receiver.client.post("/woocommerce", content=body, headers=woocommerce_headers(body))

    assert response.status_code == status
    assert receiver.emitter.events == []


def test_woocommerce_body_too_large(receiver_factory: Factory) -> None:
    receiver = receiver_factory(max_body_bytes=4096)
    order = woocommerce_order()
    order["line_items"] = [{"id": index, "name": "قهوة"} for index in range(500)]
    body = _php_json(order)

    response = receiver.client.post("/woocommerce", content=body, headers=woocommerce_headers(body))

    assert response.status_code == 413
    assert receiver.emitter.events == []


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[RunningReceiver]:
    """One receiver for the property tests, whose examples all run in one test call."""
    settings_ = WebhookSettings(
        rasl_secret=SecretStr(RASL_SECRET), woocommerce_secret=SecretStr(WOOCOMMERCE_SECRET)
    )
    with running_receiver(settings_) as receiver:
        yield receiver


@settings(max_examples=60, deadline=None)
@given(body=st.binary(max_size=2000))
def test_woocommerce_random_unsigned_bodies(shared_receiver: RunningReceiver, body: bytes) -> None:
    emitted_before = len(shared_receiver.emitter.events)

    response = shared_receiver.client.post(
        "/woocommerce", content=body, headers={"X-WC-Webhook-Signature": "AAAA"}
    )

    assert response.status_code in (200, 401)
    assert len(shared_receiver.emitter.events) == emitted_before


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["id", "billing", "status", "x"]), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(document=JSON_VALUES)
def test_woocommerce_random_signed_documents(
    shared_receiver: RunningReceiver, document: object
) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()

    response = shared_receiver.client.post(
        "/woocommerce", content=body, headers=woocommerce_headers(body)
    )

    # 200 is a duplicate: Hypothesis may generate the same document twice.
    assert response.status_code in (200, 202, 422)
