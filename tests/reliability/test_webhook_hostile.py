"""Hostile deliveries to the webhook receiver: random bodies, forged signatures and races.

`tests/webhooks/` covers each rejection once. These tests add random signed and unsigned bodies
on the RASL endpoint, header and path secrets that are almost right, and the same delivery sent many
times at once. Every request must be rejected or accepted as documented. An event is emitted
only for an accepted delivery, and only once.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from rasl_prefect.webhooks import WebhookEvent, WebhookSettings
from tests.webhooks.conftest import (
    RASL_SECRET,
    RunningReceiver,
    hex_signature,
    rasl_envelope,
    running_receiver,
)

CONCURRENT_DELIVERIES = 20
ACCEPTED_STATUSES = {200, 202}
REJECTED_STATUSES = {400, 401, 413, 422}


@dataclass
class SlowEmitter:
    """Records each event after a pause, to widen the window between check and emit."""

    delay_seconds: float = 0.2
    events: list[WebhookEvent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def emit(self, event: WebhookEvent) -> bool:
        time.sleep(self.delay_seconds)
        with self.lock:
            self.events.append(event)
        return True


@pytest.fixture(scope="module")
def signature_receiver() -> Iterator[RunningReceiver]:
    settings_ = WebhookSettings(rasl_secret=SecretStr(RASL_SECRET), rasl_auth="signature")
    with running_receiver(settings_) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def path_receiver() -> Iterator[RunningReceiver]:
    settings_ = WebhookSettings(rasl_secret=SecretStr(RASL_SECRET), rasl_auth="path")
    with running_receiver(settings_) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def header_receiver() -> Iterator[RunningReceiver]:
    settings_ = WebhookSettings(rasl_secret=SecretStr(RASL_SECRET), rasl_auth="header")
    with running_receiver(settings_) as receiver:
        yield receiver


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["event", "id", "type", "tenant", "data", "resource", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(document=JSON_VALUES)
def test_signed_random_documents(signature_receiver: RunningReceiver, document: object) -> None:
    body = json.dumps(document, ensure_ascii=False).encode()
    emitted_before = len(signature_receiver.emitter.events)

    response = signature_receiver.client.post(
        "/rasl", content=body, headers={"X-Rasl-Signature": "sha256=" + hex_signature(body)}
    )

    assert response.status_code in ACCEPTED_STATUSES | REJECTED_STATUSES, response.text
    if response.status_code != 202:
        assert len(signature_receiver.emitter.events) == emitted_before


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.binary(max_size=2_000),
    signature=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
)
def test_forged_signatures_rejected(
    signature_receiver: RunningReceiver, body: bytes, signature: str
) -> None:
    emitted_before = len(signature_receiver.emitter.events)
    headers = {"X-Rasl-Signature": signature}

    response = signature_receiver.client.post("/rasl", content=body, headers=headers)

    assert response.status_code == 401
    assert len(signature_receiver.emitter.events) == emitted_before


def test_signature_of_other_secret(signature_receiver: RunningReceiver) -> None:
    body = json.dumps(rasl_envelope(event_id="evt_other_secret")).encode()
    emitted_before = len(signature_receiver.emitter.events)
    almost = RASL_SECRET[:-1]

    response = signature_receiver.client.post(
        "/rasl", content=body, headers={"X-Rasl-Signature": hex_signature(body, almost)}
    )

    assert response.status_code == 401
    assert len(signature_receiver.emitter.events) == emitted_before


@pytest.mark.parametrize(
    "secret",
    [RASL_SECRET[:-1], RASL_SECRET + "x", "x" + RASL_SECRET[1:], RASL_SECRET.upper(), ""],
)
def test_almost_right_header_secret(header_receiver: RunningReceiver, secret: str) -> None:
    body = json.dumps(rasl_envelope(event_id="evt_almost_right")).encode()
    emitted_before = len(header_receiver.emitter.events)

    response = header_receiver.client.post(
        "/rasl", content=body, headers={"X-Webhook-Secret": secret}
    )

    assert response.status_code == 401
    assert len(header_receiver.emitter.events) == emitted_before


PATH_SECRET_VARIANTS = [
    quote(RASL_SECRET[:-1], safe=""),
    quote(RASL_SECRET + "x", safe=""),
    quote(quote(RASL_SECRET, safe=""), safe=""),
    quote(RASL_SECRET.upper(), safe=""),
    quote(RASL_SECRET, safe="") + "/",
    quote(RASL_SECRET, safe="") + "/extra",
    "..%2F" + quote(RASL_SECRET, safe=""),
    "%00",
]


@pytest.mark.parametrize("segment", PATH_SECRET_VARIANTS)
def test_almost_right_path_secret(path_receiver: RunningReceiver, segment: str) -> None:
    body = json.dumps(rasl_envelope(event_id="evt_path_almost")).encode()
    emitted_before = len(path_receiver.emitter.events)

    response = path_receiver.client.post(f"/rasl/{segment}", content=body)

    assert response.status_code in (401, 404), response.text
    assert len(path_receiver.emitter.events) == emitted_before


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(segment=st.text(min_size=1, max_size=60))
def test_random_path_secrets(path_receiver: RunningReceiver, segment: str) -> None:
    body = json.dumps(rasl_envelope(event_id="evt_path_random")).encode()
    emitted_before = len(path_receiver.emitter.events)

    response = path_receiver.client.post(f"/rasl/{quote(segment, safe='')}", content=body)

    if segment == RASL_SECRET:
        return
    assert response.status_code in (401, 404), response.text
    assert len(path_receiver.emitter.events) == emitted_before


def test_concurrent_replays_emit_once() -> None:
    emitter = SlowEmitter()
    settings_ = WebhookSettings(rasl_secret=SecretStr(RASL_SECRET), rasl_auth="signature")
    body = json.dumps(rasl_envelope(event_id="evt_concurrent_replay")).encode()
    headers = {"X-Rasl-Signature": "sha256=" + hex_signature(body)}

    with running_receiver(settings_, emitter) as receiver:  # type: ignore[arg-type]

        def deliver(_: int) -> httpx.Response:
            with httpx.Client(base_url=receiver.base_url, timeout=30) as client:
                return client.post("/rasl", content=body, headers=headers)

        with ThreadPoolExecutor(max_workers=CONCURRENT_DELIVERIES) as pool:
            responses = list(pool.map(deliver, range(CONCURRENT_DELIVERIES)))

    statuses = [response.status_code for response in responses]
    assert statuses.count(202) == 1, statuses
    assert len(emitter.events) == 1
    assert set(statuses) <= {200, 202, 503}, statuses


def test_replay_after_many_others_still_duplicate(signature_receiver: RunningReceiver) -> None:
    first = json.dumps(rasl_envelope(event_id="evt_replayed_later")).encode()
    signed = {"X-Rasl-Signature": "sha256=" + hex_signature(first)}
    assert signature_receiver.client.post("/rasl", content=first, headers=signed).status_code in (
        200,
        202,
    )
    for index in range(200):
        other = json.dumps(rasl_envelope(event_id=f"evt_filler_{index}")).encode()
        signature_receiver.client.post(
            "/rasl", content=other, headers={"X-Rasl-Signature": hex_signature(other)}
        )
    emitted_before = len(signature_receiver.emitter.events)

    response = signature_receiver.client.post("/rasl", content=first, headers=signed)

    assert response.status_code == 200
    assert response.json()["status"] == "duplicate"
    assert len(signature_receiver.emitter.events) == emitted_before
