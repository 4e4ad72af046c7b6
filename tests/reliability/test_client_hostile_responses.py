"""Our clients against any response a server or a proxy could send: a model or a `RaslError`.

A real server cannot produce these on demand, so `httpx.MockTransport` returns random statuses,
bodies and rate-limit headers. No call may raise anything but a `RaslError`, or wait longer than
the client's maximum retry wait.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasl_prefect.client import AsyncRaslClient, RaslClient
from rasl_prefect.exceptions import RaslError

MAX_CALL_SECONDS = 5.0

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["success", "data", "error", "code", "message", "meta", "details", "id", "x"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)

BODIES = st.one_of(
    st.binary(max_size=300),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.just(b"<html><body>502 Bad Gateway</body></html>"),
    st.just(b""),
)

HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.just("Wed, 21 Oct 2015 07:28:00 GMT"),
)

CALLS = {
    "get_account_info": lambda client: client.get_account_info(),
    "list_contacts": lambda client: client.list_contacts(),
    "send_text_message": lambda client: client.send_text_message(
        phone="+966500000011", message="مرحبا"
    ),
    "create_group": lambda client: client.create_group("Hostile"),
    "get_template": lambda client: client.get_template("1290017745210301"),
    "verify_otp": lambda client: client.verify_otp(phone="+966500000011", code="123456"),
}


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    call=st.sampled_from(sorted(CALLS)),
    status=st.integers(min_value=100, max_value=599),
    body=BODIES,
    content_type=st.sampled_from(["application/json", "text/html", "text/plain", ""]),
    headers=st.dictionaries(
        st.sampled_from(
            ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]
        ),
        HEADER_VALUES,
        max_size=4,
    ),
)
def test_any_response_handled(
    call: str, status: int, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        response_headers = dict(headers)
        if content_type:
            response_headers["Content-Type"] = content_type
        return httpx.Response(status, content=body, headers=response_headers)

    client = RaslClient(
        "sbx_hostile_responses",
        base_url="http://127.0.0.1:9/api/v2",
        requests_per_minute=None,
        max_retries=1,
        max_retry_wait_seconds=0.05,
        transport=httpx.MockTransport(respond),
    )
    started = time.monotonic()
    result: Any = None
    try:
        result = CALLS[call](client)
    except RaslError as error:
        assert str(error)
    finally:
        client.close()

    assert time.monotonic() - started < MAX_CALL_SECONDS
    if result is not None:
        assert 200 <= status < 300, f"{call} returned a result for HTTP {status}"


ASYNC_CALLS = {
    "get_account_info": lambda client: client.get_account_info(),
    "send_text_message": lambda client: client.send_text_message(
        phone="+966500000011", message="مرحبا"
    ),
    "get_template": lambda client: client.get_template("1290017745210301"),
}


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    call=st.sampled_from(sorted(ASYNC_CALLS)),
    status=st.integers(min_value=100, max_value=599),
    body=BODIES,
    headers=st.dictionaries(
        st.sampled_from(["Retry-After", "X-RateLimit-Remaining", "X-RateLimit-Reset"]),
        HEADER_VALUES,
        max_size=3,
    ),
)
def test_async_any_response_handled(
    call: str, status: int, body: bytes, headers: dict[str, str]
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers=headers)

    async def run() -> Any:
        client = AsyncRaslClient(
            "sbx_hostile_responses",
            base_url="http://127.0.0.1:9/api/v2",
            requests_per_minute=None,
            max_retries=1,
            max_retry_wait_seconds=0.05,
            transport=httpx.MockTransport(respond),
        )
        try:
            return await ASYNC_CALLS[call](client)
        except RaslError as error:
            assert str(error)
            return None
        finally:
            await client.aclose()

    started = time.monotonic()
    result = asyncio.run(run())

    assert time.monotonic() - started < MAX_CALL_SECONDS
    if result is not None:
        assert 200 <= status < 300, f"{call} returned a result for HTTP {status}"


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e999"])
def test_non_finite_rate_headers(value: str) -> None:
    headers = {
        "X-RateLimit-Limit": value,
        "X-RateLimit-Remaining": value,
        "X-RateLimit-Reset": value,
        "Retry-After": value,
    }

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": True, "data": {}}, headers=headers)

    client = RaslClient(
        "sbx_hostile_responses",
        base_url="http://127.0.0.1:9/api/v2",
        transport=httpx.MockTransport(respond),
    )
    started = time.monotonic()
    client.get_account_info()
    client.get_account_info()
    client.close()

    assert time.monotonic() - started < MAX_CALL_SECONDS
