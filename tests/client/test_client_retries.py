"""Retries: 429 waits, the wait cap, transient failures, and sends that are never repeated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import format_datetime

import httpx
import pytest
from client_fakes import START_TIME, FakeClock, RecordingApi, envelope

from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import (
    RaslConnectionError,
    RaslNoResponseError,
    RaslNotFoundError,
    RaslOutcomeUnknownError,
    RaslRateLimitError,
    RaslServerError,
)

PHONE = "+966500000011"
OK = httpx.Response(200, json=envelope({"message_id": "wamid.1"}))


def too_many(headers: dict[str, str] | None = None, body: dict | None = None) -> httpx.Response:
    return httpx.Response(
        429,
        json=body or {"success": False, "error": {"code": "RATE_LIMIT_EXCEEDED"}},
        headers=headers or {},
    )


@pytest.fixture
def no_jitter_client(make_client: Callable[..., RaslClient]) -> RaslClient:
    client = make_client()
    client.retry_policy.random_fraction = lambda: 0.0
    return client


def test_429_waits_retry_after_seconds(
    no_jitter_client: RaslClient, api: RecordingApi, clock: FakeClock
) -> None:
    api.queue(too_many({"Retry-After": "7"}), OK)

    no_jitter_client.send_text_message(phone=PHONE, message="hi")

    assert len(api.requests) == 2
    assert clock.sleeps == [7.0]


def test_429_waits_retry_after_date(
    no_jitter_client: RaslClient, api: RecordingApi, clock: FakeClock
) -> None:
    moment = datetime.fromtimestamp(int(START_TIME) + 20, tz=timezone.utc)
    api.queue(too_many({"Retry-After": format_datetime(moment, usegmt=True)}), OK)

    no_jitter_client.get_account_info()

    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] == pytest.approx(int(START_TIME) + 20 - START_TIME)


def test_429_waits_until_reset(
    no_jitter_client: RaslClient, api: RecordingApi, clock: FakeClock
) -> None:
    reset = str(int(START_TIME) + 30)
    api.queue(too_many({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}), OK)

    no_jitter_client.get_account_info()

    assert clock.sleeps[0] == pytest.approx(int(START_TIME) + 30 - START_TIME)


def test_429_relative_reset_seconds(
    no_jitter_client: RaslClient, api: RecordingApi, clock: FakeClock
) -> None:
    api.queue(too_many({"X-RateLimit-Reset": "12"}), OK)

    no_jitter_client.get_account_info()

    assert clock.sleeps[0] == pytest.approx(12.0)


def test_429_without_headers_backs_off(
    no_jitter_client: RaslClient, api: RecordingApi, clock: FakeClock
) -> None:
    api.queue(too_many(), too_many(), too_many(), OK)

    no_jitter_client.get_account_info()

    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_jitter_only_lengthens_wait(
    make_client: Callable[..., RaslClient], api: RecordingApi, clock: FakeClock
) -> None:
    client = make_client()
    client.retry_policy.random_fraction = lambda: 0.99
    api.queue(too_many({"Retry-After": "10"}), OK)

    client.get_account_info()

    assert clock.sleeps[0] >= 10.0
    assert clock.sleeps[0] <= 11.0


def test_wait_cap_raises_rate_limit(
    make_client: Callable[..., RaslClient], api: RecordingApi, clock: FakeClock
) -> None:
    client = make_client(max_retry_wait_seconds=30)
    client.retry_policy.random_fraction = lambda: 0.0
    api.queue(too_many({"Retry-After": "20"}), too_many({"Retry-After": "20"}))

    with pytest.raises(RaslRateLimitError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert len(api.requests) == 2
    assert clock.sleeps == [20.0]
    assert caught.value.retry_after == 20.0
    assert caught.value.retryable is True


def test_retry_count_cap(
    make_client: Callable[..., RaslClient], api: RecordingApi, clock: FakeClock
) -> None:
    client = make_client(max_retries=2)
    api.queue(too_many(), too_many(), too_many(), OK)

    with pytest.raises(RaslRateLimitError):
        client.get_account_info()

    assert len(api.requests) == 3


def test_otp_limit_over_cap_reports_wait(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retry_wait_seconds=60)
    client.retry_policy.random_fraction = lambda: 0.0
    api.queue(too_many(body={"error": {"code": "RATE_LIMIT_EXCEEDED"}, "retry_after": 240}))

    with pytest.raises(RaslRateLimitError) as caught:
        client.resend_otp(phone=PHONE, template_name="login_code")

    assert caught.value.retry_after == 240
    assert len(api.requests) == 1


def test_retry_logged_with_wait(
    no_jitter_client: RaslClient, api: RecordingApi, caplog: pytest.LogCaptureFixture
) -> None:
    api.queue(
        too_many({"Retry-After": "3"}, body={"error": "RATE_LIMIT_EXCEEDED", "meta": {}}),
        OK,
    )

    with caplog.at_level("INFO", logger="rasl_prefect"):
        no_jitter_client.get_account_info()

    retry_lines = [
        record.getMessage() for record in caplog.records if "retrying" in record.getMessage()
    ]
    assert len(retry_lines) == 1
    assert "3.0 s" in retry_lines[0]
    assert "retry 1 of 5" in retry_lines[0]


def test_ambiguous_send_not_retried(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.ReadTimeout("timed out"), OK)

    with pytest.raises(RaslOutcomeUnknownError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert len(api.requests) == 1
    assert caught.value.retryable is False
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert "may have taken effect" in caught.value.message


def test_dropped_connection_send_not_retried(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.RemoteProtocolError("Server disconnected"), OK)

    with pytest.raises(RaslOutcomeUnknownError):
        client.send_template_message(phone=PHONE, template_name="t", language="en")

    assert len(api.requests) == 1


def test_post_5xx_not_retried(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(503, text="Service Unavailable"), OK)

    with pytest.raises(RaslServerError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert len(api.requests) == 1
    assert caught.value.retryable is False


def test_post_retried_on_connect_error(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.ConnectError("connection refused"), httpx.ConnectTimeout("slow"), OK)

    result = client.send_text_message(phone=PHONE, message="hi")

    assert result.message_id == "wamid.1"
    assert len(api.requests) == 3


def test_connect_errors_exhaust_retries(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retries=1)
    api.queue(httpx.ConnectError("refused"), httpx.ConnectError("refused"))

    with pytest.raises(RaslConnectionError) as caught:
        client.send_text_message(phone=PHONE, message="hi")

    assert caught.value.retryable is True
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_get_retried_on_503(client: RaslClient, api: RecordingApi, clock: FakeClock) -> None:
    api.queue(
        httpx.Response(503), httpx.Response(502), httpx.Response(200, json=envelope({"id": 1}))
    )

    account = client.get_account_info()

    assert account.id == 1
    assert len(api.requests) == 3
    assert len(clock.sleeps) == 2


def test_get_retried_on_read_timeout(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.ReadTimeout("slow"), httpx.Response(200, json=envelope({"id": 1})))

    account = client.get_account_info()

    assert account.id == 1
    assert len(api.requests) == 2


def test_get_timeouts_exhaust_retries(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retries=1)
    api.queue(httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"))

    with pytest.raises(RaslNoResponseError) as caught:
        client.get_account_info()

    assert caught.value.retryable is True


def test_patch_and_delete_retried_on_5xx(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(500), OK, httpx.Response(504), OK)

    client.update_group(5, "Gold")
    client.batch_delete_contacts([1])

    assert [request.method for request in api.requests] == ["PATCH", "PATCH", "DELETE", "DELETE"]


def test_get_5xx_exhausted_is_retryable(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(max_retries=0)
    api.queue(httpx.Response(500))

    with pytest.raises(RaslServerError) as caught:
        client.get_account_info()

    assert caught.value.retryable is True


def test_4xx_never_retried(client: RaslClient, api: RecordingApi) -> None:
    api.queue(httpx.Response(404), OK)

    with pytest.raises(RaslNotFoundError):
        client.get_group(5)

    assert len(api.requests) == 1


def test_upload_reopened_on_retry(client: RaslClient, api: RecordingApi, tmp_path) -> None:
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG image bytes")
    api.queue(too_many({"Retry-After": "1"}), OK)

    client.send_media_message(phone=PHONE, media_type="image", media_file=photo)

    assert len(api.requests) == 2
    assert b"\x89PNG image bytes" in api.requests[1].content
