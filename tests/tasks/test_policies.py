"""Retry condition, cache key and scope checks shared by the RASL tasks."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from prefect.states import Failed

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import (
    RaslConnectionError,
    RaslOutcomeUnknownError,
    RaslRateLimitError,
    RaslScopeError,
    RaslServerError,
    RaslValidationError,
)
from rasl_prefect.tasks.policies import (
    SIDE_EFFECT_CACHE_POLICY,
    require_scopes,
    retry_if_retryable,
)

FAKE_TOKEN = "rasl-test-SECRET-7f3a9c"


def make_credentials(token: str = FAKE_TOKEN, scopes: list[str] | None = None) -> RaslCredentials:
    return RaslCredentials(
        api_token=token, base_url="http://127.0.0.1:9/api/v2", scopes=scopes or []
    )


def should_retry(error: BaseException) -> bool:
    return retry_if_retryable(None, None, Failed(data=error))  # type: ignore[arg-type]


def send_cache_key(flow_run_id: uuid.UUID, **inputs: Any) -> str | None:
    task_context = SimpleNamespace(
        task_run=SimpleNamespace(flow_run_id=flow_run_id, id=uuid.uuid4())
    )
    return SIDE_EFFECT_CACHE_POLICY.compute_key(
        task_ctx=task_context,  # type: ignore[arg-type]
        inputs=inputs,
        flow_parameters={},
    )


@pytest.mark.parametrize(
    "error",
    [
        RaslRateLimitError("Too many requests", status_code=429, retry_after=30.0),
        RaslConnectionError("Connection refused"),
        RaslServerError("Service unavailable", status_code=503, retryable=True),
    ],
)
def test_retry_condition_retries_retryable(error: Exception) -> None:
    assert should_retry(error) is True


@pytest.mark.parametrize(
    "error",
    [
        RaslOutcomeUnknownError("Read timed out after the request was sent"),
        RaslServerError("Internal error", status_code=500),
        RaslValidationError("phone is required", status_code=422),
        ValueError("not a RASL error"),
    ],
)
def test_retry_condition_skips_others(error: Exception) -> None:
    assert should_retry(error) is False


def test_cache_key_ignores_credentials() -> None:
    flow_run_id = uuid.uuid4()

    first = send_cache_key(
        flow_run_id, credentials=make_credentials("token-a"), phone="+966500000011"
    )
    second = send_cache_key(
        flow_run_id, credentials=make_credentials("token-b"), phone="+966500000011"
    )

    assert first is not None
    assert first == second


def test_cache_key_depends_on_arguments() -> None:
    flow_run_id = uuid.uuid4()
    credentials = make_credentials()

    first = send_cache_key(flow_run_id, credentials=credentials, phone="+966500000011")
    second = send_cache_key(flow_run_id, credentials=credentials, phone="+966500000012")

    assert first != second


def test_cache_key_depends_on_flow_run() -> None:
    credentials = make_credentials()

    first = send_cache_key(uuid.uuid4(), credentials=credentials, phone="+966500000011")
    second = send_cache_key(uuid.uuid4(), credentials=credentials, phone="+966500000011")

    assert first != second


def test_cache_key_hides_token() -> None:
    key = send_cache_key(uuid.uuid4(), credentials=make_credentials(), phone="+966500000011")

    assert key is not None
    assert FAKE_TOKEN not in key


def test_require_scopes_raises_missing() -> None:
    credentials = make_credentials(scopes=["messages:read"])

    with pytest.raises(RaslScopeError) as raised:
        require_scopes(credentials, "messages:send", "messages:read")

    assert "messages:send" in str(raised.value)
    assert "messages:read" not in str(raised.value)
    assert raised.value.code == "INSUFFICIENT_SCOPE"


def test_require_scopes_accepts_unknown() -> None:
    require_scopes(make_credentials(scopes=[]), "messages:send")


def test_require_scopes_accepts_present() -> None:
    require_scopes(make_credentials(scopes=["contacts:write", "contacts: read"]), "contacts:read")
