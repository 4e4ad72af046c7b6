"""The token travels only in the auth header: never in a repr, an error, a log record or a URL."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable

import httpx
import pytest
from client_fakes import FAKE_TOKEN, RecordingApi, envelope

from rasl_prefect.client import AsyncRaslClient, RaslClient
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import RaslError

PHONE = "+966500000011"


def failures() -> list[httpx.Response | Exception]:
    echo = {"error": {"code": "UNAUTHORIZED", "message": f"Token {FAKE_TOKEN} is invalid"}}
    return [
        httpx.Response(401, json=echo),
        httpx.Response(422, json={"message": "bad", "errors": {"token": [FAKE_TOKEN]}}),
        httpx.Response(500, text=f"Traceback: Authorization: Bearer {FAKE_TOKEN}"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(429, headers={"Retry-After": "500"}),
    ]


def test_token_absent_from_repr(client: RaslClient) -> None:
    assert FAKE_TOKEN not in repr(client)
    assert FAKE_TOKEN not in str(client)


def test_async_token_absent_from_repr() -> None:
    client = AsyncRaslClient(FAKE_TOKEN)

    assert FAKE_TOKEN not in repr(client)


def test_token_absent_from_block_repr() -> None:
    block = RaslCredentials(api_token=FAKE_TOKEN)

    assert FAKE_TOKEN not in repr(block)


def test_token_absent_from_errors(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retries=0, max_retry_wait_seconds=1)
    texts: list[str] = []
    for failure in failures():
        api.queue(failure)
        with pytest.raises(RaslError) as caught:
            client.send_text_message(phone=PHONE, message="hi")
        error = caught.value
        texts.extend([str(error), repr(error), repr(error.details), repr(vars(error))])
        texts.append(repr(error.__cause__))
        texts.append(pickle.dumps(error).decode("latin-1"))

    assert len(texts) == 6 * len(failures())
    for text in texts:
        assert FAKE_TOKEN not in text


def test_token_absent_from_logs(
    make_client: Callable[..., RaslClient], api: RecordingApi, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(max_retries=1, max_retry_wait_seconds=1000)
    api.queue(*failures(), httpx.Response(200, json=envelope({"id": 1})))

    with caplog.at_level(logging.DEBUG):
        for _ in range(6):
            try:
                client.get_account_info()
            except RaslError:
                pass

    assert len(caplog.records) > 6
    for record in caplog.records:
        assert FAKE_TOKEN not in record.getMessage()
        assert FAKE_TOKEN not in repr(record.args)


def test_token_absent_from_url(client: RaslClient, api: RecordingApi) -> None:
    client.list_contacts(search="x")

    assert FAKE_TOKEN not in str(api.last.url)


def test_phone_masked_in_logs(
    client: RaslClient, api: RecordingApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        client.send_text_message(phone=PHONE, message="hi")

    assert caplog.records
    for record in caplog.records:
        assert "500000011" not in record.getMessage()


def test_one_info_line_per_call(
    client: RaslClient, api: RecordingApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.queue(httpx.Response(200, json=envelope({"id": 4}, request_id="req-77")))

    with caplog.at_level(logging.INFO, logger="rasl_prefect"):
        client.get_group(4)

    lines = [record.getMessage() for record in caplog.records if record.name == "rasl_prefect"]
    assert len(lines) == 1
    assert "GET /groups/4 -> 200" in lines[0]
    assert "req-77" in lines[0]
    assert " ms " in lines[0]


def test_token_absent_from_chained_request(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retries=0, max_retry_wait_seconds=1)
    api.queue(httpx.ReadTimeout("timed out"))

    with pytest.raises(RaslError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ReadTimeout)
    assert cause.request.headers["authorization"] == "[redacted]"
    assert FAKE_TOKEN not in repr(dict(cause.request.headers))
