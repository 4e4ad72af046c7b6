"""The RASL endpoint over real HTTP on 127.0.0.1, with a recording emitter."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from urllib.parse import quote

import pytest
from pydantic import SecretStr

from tests.webhooks.conftest import (
    RASL_SECRET,
    RecordingEmitter,
    RunningReceiver,
    hex_signature,
    rasl_envelope,
)

Factory = Callable[..., RunningReceiver]


def _post_with_secret(receiver: RunningReceiver, body: bytes, secret: str = RASL_SECRET):
    return receiver.client.post(
        "/rasl",
        content=body,
        headers={"Content-Type": "application/json", "X-Webhook-Secret": secret},
    )


def test_rasl_header_secret_emits_event(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = json.dumps(rasl_envelope()).encode()

    response = _post_with_secret(receiver, body)

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    assert len(receiver.emitter.events) == 1
    event = receiver.emitter.events[0]
    assert event.name == "rasl.contact.created"
    assert event.resource == {
        "prefect.resource.id": "rasl.contact.123",
        "rasl.resource.type": "contact",
        "rasl.tenant.id": "123",
    }
    assert event.related == [
        {
            "prefect.resource.id": "rasl.tenant.123",
            "prefect.resource.role": "tenant",
            "prefect.resource.name": "Acme Corporation",
        }
    ]
    assert event.payload == rasl_envelope()
    assert response.json()["event_id"] == str(event.event_id)


@pytest.mark.parametrize(
    "event_type", ["contact.updated", "contact.deleted", "source.created", "status.deleted"]
)
def test_rasl_documented_types(receiver_factory: Factory, event_type: str) -> None:
    receiver = receiver_factory()
    body = json.dumps(rasl_envelope(event_type=event_type, resource_id=9)).encode()

    response = _post_with_secret(receiver, body)

    assert response.status_code == 202
    assert receiver.emitter.events[0].name == f"rasl.{event_type}"
    resource_type = event_type.split(".")[0]
    assert receiver.emitter.events[0].resource["prefect.resource.id"] == f"rasl.{resource_type}.9"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "missing_secret"),
        ({"X-Webhook-Secret": "wrong"}, "invalid_secret"),
        ({"X-Webhook-Secret": RASL_SECRET[:-1]}, "invalid_secret"),
        ({"X-Other-Header": RASL_SECRET}, "missing_secret"),
    ],
)
def test_rasl_header_secret_rejected(
    receiver_factory: Factory, headers: dict[str, str], error: str
) -> None:
    receiver = receiver_factory()

    response = receiver.client.post("/rasl", content=json.dumps(rasl_envelope()), headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == error
    assert receiver.emitter.events == []


def test_rasl_custom_secret_header(receiver_factory: Factory) -> None:
    receiver = receiver_factory(rasl_secret_header="X-Rasl-Token")
    body = json.dumps(rasl_envelope()).encode()

    default_header = _post_with_secret(receiver, body)
    custom_header = receiver.client.post(
        "/rasl", content=body, headers={"X-Rasl-Token": RASL_SECRET}
    )

    assert default_header.status_code == 401
    assert custom_header.status_code == 202


def test_rasl_path_secret(receiver_factory: Factory) -> None:
    receiver = receiver_factory(rasl_auth="path")
    body = json.dumps(rasl_envelope()).encode()

    accepted = receiver.client.post(f"/rasl/{quote(RASL_SECRET, safe='')}", content=body)
    wrong = receiver.client.post("/rasl/wrong-secret", content=body)
    missing = receiver.client.post("/rasl", content=body)

    assert accepted.status_code == 202
    assert wrong.status_code == 401
    assert missing.status_code == 404
    assert len(receiver.emitter.events) == 1


def test_rasl_path_secret_non_ascii(receiver_factory: Factory) -> None:
    secret = "مفتاح/سري ü"
    receiver = receiver_factory(rasl_auth="path", rasl_secret=SecretStr(secret))
    body = json.dumps(rasl_envelope()).encode()

    response = receiver.client.post(f"/rasl/{quote(secret, safe='')}", content=body)

    assert response.status_code == 202


@pytest.mark.parametrize(
    "format_signature",
    [
        lambda body: hex_signature(body),
        lambda body: "sha256=" + hex_signature(body),
    ],
    ids=["hex", "prefixed-hex"],
)
def test_rasl_signature_accepted(receiver_factory: Factory, format_signature) -> None:
    receiver = receiver_factory(rasl_auth="signature")
    body = json.dumps(rasl_envelope(), ensure_ascii=False).encode()

    response = receiver.client.post(
        "/rasl", content=body, headers={"X-Rasl-Signature": format_signature(body)}
    )

    assert response.status_code == 202
    assert (
        receiver.emitter.events[0].payload["data"]["resource"]["attributes"]["firstname"] == "سارة"
    )


def test_rasl_signature_custom_header(receiver_factory: Factory) -> None:
    receiver = receiver_factory(rasl_auth="signature", rasl_signature_header="X-Sandbox-Signature")
    body = json.dumps(rasl_envelope()).encode()

    response = receiver.client.post(
        "/rasl", content=body, headers={"X-Sandbox-Signature": "sha256=" + hex_signature(body)}
    )

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("signature", "error"),
    [
        (None, "missing_signature"),
        ("sha256=" + "0" * 64, "invalid_signature"),
        ("garbage", "invalid_signature"),
    ],
)
def test_rasl_signature_rejected(
    receiver_factory: Factory, signature: str | None, error: str
) -> None:
    receiver = receiver_factory(rasl_auth="signature")
    body = json.dumps(rasl_envelope()).encode()
    headers = {} if signature is None else {"X-Rasl-Signature": signature}

    response = receiver.client.post("/rasl", content=body, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"] == error
    assert receiver.emitter.events == []


def test_rasl_signature_of_other_body(receiver_factory: Factory) -> None:
    receiver = receiver_factory(rasl_auth="signature")
    signed = json.dumps(rasl_envelope(), ensure_ascii=True).encode()
    sent = json.dumps(rasl_envelope(), ensure_ascii=False).encode()

    response = receiver.client.post(
        "/rasl", content=sent, headers={"X-Rasl-Signature": hex_signature(signed)}
    )

    assert response.status_code == 401


def test_rasl_redelivery_is_duplicate(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = json.dumps(rasl_envelope(event_id="evt_redelivered")).encode()

    first = _post_with_secret(receiver, body)
    second = _post_with_secret(receiver, body)

    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    assert len(receiver.emitter.events) == 1


def test_rasl_same_id_other_tenant(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    first = rasl_envelope(event_id="evt_shared")
    second = rasl_envelope(event_id="evt_shared")
    second["tenant"]["id"] = 456

    responses = [_post_with_secret(receiver, json.dumps(item).encode()) for item in (first, second)]

    assert [response.status_code for response in responses] == [202, 202]
    assert responses[0].json()["event_id"] != responses[1].json()["event_id"]


def test_rasl_emit_failure_not_remembered(receiver_factory: Factory) -> None:
    emitter = RecordingEmitter(succeed=False)
    receiver = receiver_factory(emitter=emitter)
    body = json.dumps(rasl_envelope(event_id="evt_retry")).encode()

    failed = _post_with_secret(receiver, body)
    emitter.succeed = True
    retried = _post_with_secret(receiver, body)

    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "30"
    assert retried.status_code == 202
    assert len(emitter.events) == 2


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"", b"\xff\xfe\x00garbage", b'{"a": NaN}', b"[" * 100_000, b"1" * 5000],
    ids=["broken", "empty", "bad-utf8", "nan", "deep", "huge-int"],
)
def test_rasl_malformed_json(receiver_factory: Factory, body: bytes) -> None:
    receiver = receiver_factory()

    response = _post_with_secret(receiver, body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
    assert receiver.emitter.events == []


def _without(path: str) -> dict:
    envelope = rasl_envelope()
    parent = envelope
    *parents, last = path.split(".")
    for part in parents:
        parent = parent[part]
    del parent[last]
    return envelope


@pytest.mark.parametrize(
    "document",
    [
        [rasl_envelope()],
        "text",
        _without("event"),
        _without("event.id"),
        _without("tenant"),
        _without("data.resource"),
        _without("data.resource.id"),
        rasl_envelope(event_type="contact"),
        rasl_envelope(event_type="Contact.Created"),
        rasl_envelope(event_id="evt with spaces"),
        rasl_envelope(event_id="x" * 201),
        rasl_envelope(resource_id="a/b"),
        rasl_envelope(resource_id=1.5),
        rasl_envelope(resource_id=-3),
        {**rasl_envelope(), "tenant": {"id": True}},
    ],
    ids=[
        "list",
        "string",
        "no-event",
        "no-event-id",
        "no-tenant",
        "no-resource",
        "no-resource-id",
        "type-without-action",
        "type-uppercase",
        "event-id-spaces",
        "event-id-too-long",
        "resource-id-slash",
        "resource-id-float",
        "resource-id-negative",
        "tenant-id-boolean",
    ],
)
def test_rasl_invalid_envelope(receiver_factory: Factory, document: object) -> None:
    receiver = receiver_factory()

    response = _post_with_secret(receiver, json.dumps(document).encode())

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_envelope"
    assert receiver.emitter.events == []


def test_rasl_error_hides_values(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    document = rasl_envelope(event_id="evt secret-value-here")

    response = _post_with_secret(receiver, json.dumps(document).encode())

    assert response.status_code == 422
    assert "secret-value-here" not in response.text
    assert "event.id" in response.json()["message"]


def test_rasl_unknown_type_accepted(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    body = json.dumps(rasl_envelope(event_type="message.received", resource_id="wamid_1")).encode()

    response = _post_with_secret(receiver, body)

    assert response.status_code == 202
    assert receiver.emitter.events[0].name == "rasl.message.received"
    assert receiver.emitter.events[0].resource["prefect.resource.id"] == "rasl.message.wamid_1"


def test_rasl_large_payload_truncated(receiver_factory: Factory) -> None:
    receiver = receiver_factory(max_event_payload_bytes=2048)
    document = rasl_envelope(notes="ملاحظة " * 400)

    response = _post_with_secret(receiver, json.dumps(document).encode())

    assert response.status_code == 202
    payload = receiver.emitter.events[0].payload
    assert payload["truncated"] is True
    assert payload["data"] == {"resource": {"type": "contact", "id": 123}}
    assert payload["event"]["id"] == "evt_1702468200_abc123"


def test_rasl_declared_length_too_large(receiver_factory: Factory) -> None:
    receiver = receiver_factory(max_body_bytes=4096)
    body = json.dumps(rasl_envelope(notes="x" * 5000)).encode()

    response = _post_with_secret(receiver, body)

    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"
    assert receiver.emitter.events == []


def test_rasl_chunked_body_too_large(receiver_factory: Factory) -> None:
    receiver = receiver_factory(max_body_bytes=4096)

    def chunks():
        for _ in range(10):
            yield b"x" * 1000

    response = receiver.client.post(
        "/rasl", content=chunks(), headers={"X-Webhook-Secret": RASL_SECRET}
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert receiver.emitter.events == []


def test_rasl_invalid_content_length(receiver_factory: Factory) -> None:
    receiver = receiver_factory()
    host, port = receiver.base_url.removeprefix("http://").split(":")

    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(
            b"POST /rasl HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: wrong\r\n"
            b"Content-Length: -5\r\n\r\n"
        )
        status_line = connection.recv(4096).split(b"\r\n", 1)[0]

    assert status_line.split()[1] == b"400"


def test_rasl_slow_body_times_out(receiver_factory: Factory) -> None:
    receiver = receiver_factory(body_read_timeout_seconds=1.0)
    host, port = receiver.base_url.removeprefix("http://").split(":")
    secret_header = b"X-Webhook-Secret: " + RASL_SECRET.encode() + b"\r\n"

    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /rasl HTTP/1.1\r\nHost: x\r\n" + secret_header + b"Content-Length: 1000\r\n\r\n{"
        )
        response = connection.recv(4096)
    elapsed = time.monotonic() - started

    assert response.split(b"\r\n", 1)[0].split()[1] == b"408"
    assert elapsed < 5
    assert receiver.emitter.events == []


def test_rasl_get_not_allowed(receiver_factory: Factory) -> None:
    receiver = receiver_factory()

    response = receiver.client.get("/rasl")

    assert response.status_code == 405


def test_rasl_disabled_without_secret(receiver_factory: Factory) -> None:
    receiver = receiver_factory(rasl_secret=None)

    response = _post_with_secret(receiver, json.dumps(rasl_envelope()).encode())
    health = receiver.client.get("/healthz")

    assert response.status_code == 404
    assert health.json() == {"status": "ok", "endpoints": ["woocommerce"]}
