"""The otp_verification flow against the sandbox: the code arrives as run input of a paused run."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from everyday_support import answer_pause, read_artifacts, start_in_thread

from flows.otp_verification import otp_verification
from rasl_prefect import RaslCredentials

PHONE = "+966500000311"
FLOW_NAME = "otp-verification"


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="otp-flow") as executor:
        yield executor


class OtpSession:
    """One otp_verification run in a thread, and the input the test gives at each pause."""

    def __init__(
        self,
        pool: ThreadPoolExecutor,
        credentials: RaslCredentials,
        sandbox: Any,
        **parameters: Any,
    ) -> None:
        arguments: dict[str, Any] = {
            "credentials": credentials,
            "phone": PHONE,
            "input_timeout_seconds": 120,
            "input_poll_seconds": 1,
            "return_state": True,
        }
        arguments.update(parameters)
        self.sandbox = sandbox
        self.seen: set[UUID] = set()
        self.future: Future[Any] = start_in_thread(pool, otp_verification, **arguments)

    def latest_code(self) -> str:
        return str(self.sandbox.admin.latest_otp_code(PHONE))

    def type_code(self, code: str | None = None, *, wrong: bool = False) -> None:
        """Resume the next pause with `code`, else with the last code sent, spoiled if `wrong`.

        The sent code is read once the run has paused, so after the flow has sent it.
        """

        def typed() -> dict[str, Any]:
            if code is not None:
                return {"code": code}
            sent = self.latest_code()
            return {"code": wrong_code(sent) if wrong else sent}

        answer_pause(FLOW_NAME, self.seen, self.future, typed)

    def request_resend(self) -> None:
        answer_pause(FLOW_NAME, self.seen, self.future, lambda: {"resend": True})

    def finish(self) -> Any:
        return self.future.result(timeout=150)


def wrong_code(code: str) -> str:
    return ("1" if code[0] != "1" else "2") + code[1:]


@pytest.mark.timeout(240)
def test_otp_verified_with_sandbox_code(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox, code_length=8)

    session.type_code()
    state = session.finish()
    result = state.result()

    assert state.is_completed()
    assert result.outcome == "verified"
    assert result.failed_attempts == 0
    assert result.verified_at is not None
    assert len(session.latest_code()) == 8


@pytest.mark.timeout(240)
def test_otp_wrong_then_right_code(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox)

    session.type_code("")
    session.type_code(wrong=True)
    session.type_code()
    code = session.latest_code()
    state = session.finish()
    result = state.result()

    assert result.outcome == "verified"
    assert result.failed_attempts == 1
    markdown = str(read_artifacts(state.state_details.flow_run_id)["otp-verification"].data)
    assert "**verified**" in markdown
    assert code not in markdown
    assert "***0311" in markdown
    assert "500000311" not in markdown


@pytest.mark.timeout(240)
def test_otp_invalid_then_timeout(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox, input_timeout_seconds=10)

    session.type_code(wrong=True)
    state = session.finish()

    assert state.is_failed()
    markdown = str(read_artifacts(state.state_details.flow_run_id)["otp-verification"].data)
    assert "**invalid**" in markdown
    assert "| attempts remaining | 4 |" in markdown
    assert session.latest_code() not in markdown


@pytest.mark.timeout(240)
def test_otp_expired_then_resend(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox, expiry_minutes=1)

    answer_pause(FLOW_NAME, session.seen, session.future, lambda: expire_and_type(session))
    session.request_resend()
    session.type_code()
    result = session.finish().result()

    assert result.outcome == "verified"
    assert result.resends == 1
    assert len(sandbox.admin.otp_codes(PHONE)) == 2


@pytest.mark.timeout(240)
def test_otp_expired_without_resends(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox, expiry_minutes=1, max_resends=0)

    answer_pause(FLOW_NAME, session.seen, session.future, lambda: expire_and_type(session))
    result = session.finish().result()

    assert result.outcome == "expired"
    assert result.resends == 0


def expire_and_type(session: OtpSession) -> dict[str, Any]:
    """Move the sandbox clock past the code's 1-minute expiry and return the code as input."""
    session.sandbox.admin.advance_clock(120)
    return {"code": session.latest_code()}


@pytest.mark.timeout(240)
def test_otp_resend_rejected_by_rasl(
    prefect_server: str,
    sandbox: Any,
    credentials: RaslCredentials,
    pool: ThreadPoolExecutor,
    api: Any,
) -> None:
    session = OtpSession(pool, credentials, sandbox)

    def use_up_resends() -> dict[str, Any]:
        # Three resends from elsewhere use RASL's limit of 3 per phone in 5 minutes.
        for _ in range(3):
            body = {"phone": PHONE, "template_name": "otp_login", "purpose": "authentication"}
            api.post("/auth/resend", json=body).raise_for_status()
        return {"resend": True}

    answer_pause(FLOW_NAME, session.seen, session.future, use_up_resends)
    session.type_code()
    result = session.finish().result()

    assert result.outcome == "verified"
    assert result.resends == 0
    assert result.resends_rejected == 1


@pytest.mark.timeout(240)
def test_otp_five_wrong_codes(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox, max_resends=0)

    for _ in range(5):
        session.type_code(wrong=True)
    state = session.finish()
    result = state.result()

    assert result.outcome == "max_attempts"
    assert result.failed_attempts == 5
    assert result.attempts_remaining == 0


@pytest.mark.timeout(240)
def test_otp_code_not_in_run_logs(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, pool: ThreadPoolExecutor
) -> None:
    session = OtpSession(pool, credentials, sandbox)

    session.type_code()
    state = session.finish()
    code = session.latest_code()

    messages = read_log_messages(state.state_details.flow_run_id)
    assert any("Sent OTP message" in message for message in messages)
    assert not [message for message in messages if code in message]
    assert not [message for message in messages if "500000311" in message]


def read_log_messages(flow_run_id: UUID) -> list[str]:
    """Return the log messages of a flow run and its task runs, waiting for the last batch."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    log_filter = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
    deadline = time.monotonic() + 20
    with get_client(sync_client=True) as client:
        while True:
            logs = client.read_logs(log_filter=log_filter, limit=200)
            messages = [log.message for log in logs]
            if any("ended: verified" in message for message in messages):
                return messages
            if time.monotonic() > deadline:
                return messages
            time.sleep(0.5)


def test_send_otp_key_ignores_code() -> None:
    from prefect.cache_policies import Inputs

    from flows.otp_verification import send_otp_without_code_key

    policy = send_otp_without_code_key.cache_policy
    inputs_policies = [part for part in getattr(policy, "policies", []) if isinstance(part, Inputs)]
    arguments = {"phone": PHONE, "template_name": "otp_login"}

    keys = {
        inputs_policies[0].compute_key(None, {**arguments, "code": code}, {})  # type: ignore[arg-type]
        for code in ("123456", "654321")
    }

    assert len(inputs_policies) == 1
    assert len(keys) == 1


def test_send_otp_task_key_ignores_code() -> None:
    from prefect.cache_policies import Inputs

    from rasl_prefect.tasks import send_otp

    policy = send_otp.cache_policy
    inputs_policies = [part for part in getattr(policy, "policies", []) if isinstance(part, Inputs)]
    arguments = {"phone": PHONE, "template_name": "otp_login"}

    keys = {
        inputs_policies[0].compute_key(None, {**arguments, "code": code}, {})  # type: ignore[arg-type]
        for code in ("123456", "654321")
    }

    assert len(keys) == 1
