"""Send a one-time password over WhatsApp, wait for the user to type it, and verify it.

The flow run pauses while it waits; the code arrives as run input, typed in the Prefect UI or
sent by an application with `prefect.flow_runs.resume_flow_run(flow_run_id, run_input=...)`.
Pausing needs a Prefect server that persists the flow run, so the flow does not run in a plain
ephemeral session that ends before the input arrives.
"""

from __future__ import annotations

import secrets
import string
from datetime import datetime
from typing import Annotated, Literal

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import pause_flow_run
from prefect.input import RunInput
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import (
    RaslOtpExpiredError,
    RaslOtpInvalidCodeError,
    RaslOtpMaxAttemptsError,
    RaslOtpNotFoundError,
    RaslRateLimitError,
)
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.tasks import resend_otp, send_otp, verify_otp
from rasl_prefect.tasks.policies import SIDE_EFFECT_CACHE_POLICY

MAX_RESENDS = 3
"""Resends RASL allows per phone in 5 minutes; more get HTTP 429 with a `retry_after`."""

MAX_VERIFY_ATTEMPTS = 5
"""Failed checks after which RASL blocks an OTP (`MAX_ATTEMPTS_EXCEEDED`)."""

# A cache key is a hash of the task's inputs, and a 6-digit code has only a million values, so
# a key that hashed the code would let anyone who reads task runs recover it by trying them all.
send_otp_without_code_key = send_otp.with_options(cache_policy=SIDE_EFFECT_CACHE_POLICY - "code")

OtpOutcome = Literal["verified", "invalid", "expired", "max_attempts", "not_found", "no_input"]


class OtpInputTimeoutError(RuntimeError):
    """The paused run got no input in time; the run fails with the outcome so far."""


class OtpCodeInput(RunInput):
    """The form the paused flow run shows: the code the user typed, or a request for a new one."""

    code: str = Field(
        default="",
        max_length=10,
        pattern=r"^[0-9]*$",
        description="The code from the WhatsApp message, digits only.",
    )
    resend: bool = Field(
        default=False, description="Send a new code instead of checking the one typed."
    )


class OtpVerificationResult(BaseModel):
    """The outcome of an OTP verification, with its counts. The code itself is never part of it."""

    outcome: OtpOutcome = Field(description="How the verification ended.")
    masked_phone: str = Field(description="The phone with all but its last 4 digits masked.")
    purpose: str = Field(description="The OTP purpose the code was sent and checked with.")
    failed_attempts: int = Field(default=0, description="Codes typed that did not match.")
    attempts_remaining: int | None = Field(
        default=None, description="Checks left on the active OTP, when RASL reported it."
    )
    resends: int = Field(default=0, description="New codes sent after the first one.")
    resends_rejected: int = Field(
        default=0,
        description="Resend requests rejected by this run's limit or RASL's 3 per 5 minutes.",
    )
    expires_at: datetime | str | None = Field(
        default=None, description="When the last code sent expires."
    )
    verified_at: datetime | str | None = Field(
        default=None, description="When RASL accepted the code."
    )


def generate_code(length: int) -> str:
    """Return a random numeric code of `length` digits from the `secrets` generator."""
    return "".join(secrets.choice(string.digits) for _ in range(length))


@flow(
    name="otp-verification",
    description="Send a one-time code over WhatsApp, wait for the user to type it, verify it.",
)
def otp_verification(
    credentials: RaslCredentials,
    phone: Annotated[str, Field(min_length=10, max_length=20, pattern=r"^[0-9+\-\s()]+$")],
    template_name: Annotated[str, Field(min_length=1)] = "otp_login",
    language: Annotated[str, Field(min_length=2, max_length=10)] = "en",
    purpose: Annotated[str, Field(min_length=1, max_length=50)] = "authentication",
    code_length: Annotated[int, Field(ge=4, le=10)] = 6,
    expiry_minutes: Annotated[int, Field(ge=1, le=60)] = 10,
    max_resends: Annotated[int, Field(ge=0, le=MAX_RESENDS)] = MAX_RESENDS,
    input_timeout_seconds: Annotated[int, Field(ge=10, le=3600)] = 600,
    input_poll_seconds: Annotated[int, Field(ge=1, le=60)] = 5,
) -> OtpVerificationResult:
    """Send a one-time code, pause for the typed code, and verify it, with resends on request.

    Args:
        credentials: The RASL credentials block of a token with `messages:send`.
        phone: The user's phone number with its country code, such as `+966500000011`.
        template_name: The APPROVED AUTHENTICATION template whose `{{1}}` receives the code.
        language: The template's language code.
        purpose: The OTP purpose, such as `login`; one OTP is active per phone and purpose.
        code_length: Digits of the first code. Resent codes have 6 digits, because RASL
            generates them.
        expiry_minutes: Minutes each code stays valid, 1 to 60.
        max_resends: New codes the user may request, at most 3 (RASL allows 3 per 5 minutes).
        input_timeout_seconds: How long each pause waits for the user's input.
        input_poll_seconds: How often the paused run checks for input.

    Returns:
        The outcome: `verified`, `expired`, `max_attempts` or `not_found`, with the attempt
        and resend counts.

    Raises:
        OtpInputTimeoutError: A pause got no input within `input_timeout_seconds`. Prefect
            then fails the run as "never resumed". The error in its log and its artifact show
            the outcome so far: `invalid` (attempts left), `no_input`, or a code that can no
            longer be used.
    """
    logger = get_logger()
    result = OtpVerificationResult(
        outcome="no_input", masked_phone=mask_phone(phone), purpose=purpose
    )

    sent = send_otp_without_code_key(
        credentials,
        phone=phone,
        template_name=template_name,
        code=generate_code(code_length),
        language=language,
        expiry_minutes=expiry_minutes,
        purpose=purpose,
    )
    result.expires_at = sent.expires_at

    # Each pass handles one input: a code check or a resend. The bound covers every check
    # RASL allows on every code, so a user who keeps typing cannot keep the run alive forever.
    max_inputs = (max_resends + 1) * (MAX_VERIFY_ATTEMPTS + 1)
    for _ in range(max_inputs):
        try:
            typed = pause_flow_run(
                wait_for_input=OtpCodeInput.with_initial_data(
                    description=input_prompt(result, max_resends)
                ),
                timeout=input_timeout_seconds,
                poll_interval=input_poll_seconds,
            )
        except FlowPauseTimeout:
            # Prefect fails a run whose pause timed out even when the flow returns normally,
            # so the outcome goes into the artifact and the error message instead.
            publish_result(result)
            raise OtpInputTimeoutError(
                f"No input for {result.masked_phone} within {input_timeout_seconds} seconds; "
                f"the verification ended as {result.outcome!r}. Start a new run to try again."
            ) from None

        if typed.resend:
            request_resend(
                credentials, result, phone, template_name, language, expiry_minutes, max_resends
            )
            continue

        if check_code(credentials, result, phone, typed.code, max_resends):
            break

    publish_result(result)
    logger.info(
        "OTP verification of %s ended: %s after %d failed attempts and %d resends",
        result.masked_phone,
        result.outcome,
        result.failed_attempts,
        result.resends,
    )
    return result


def input_prompt(result: OtpVerificationResult, max_resends: int) -> str:
    """Return the markdown the paused run's form shows above the fields."""
    lines = [f"Type the code sent over WhatsApp to {result.masked_phone}."]
    if result.outcome == "invalid":
        lines.append(f"The last code did not match: {result.attempts_remaining} attempts left.")
    elif result.outcome in ("expired", "max_attempts", "not_found"):
        lines.append("That code can no longer be used: tick resend to get a new one.")
    lines.append(f"New codes left: {max(0, max_resends - result.resends)}.")
    return "\n\n".join(lines)


def request_resend(
    credentials: RaslCredentials,
    result: OtpVerificationResult,
    phone: str,
    template_name: str,
    language: str,
    expiry_minutes: int,
    max_resends: int,
) -> None:
    """Send a new code unless the flow's or RASL's resend limit is reached, updating `result`."""
    logger = get_logger()

    if result.resends >= max_resends:
        result.resends_rejected += 1
        logger.warning(
            "Resend for %s rejected: all %d resends of this run are used",
            result.masked_phone,
            max_resends,
        )
        return

    try:
        sent = resend_otp(
            credentials,
            phone=phone,
            template_name=template_name,
            language=language,
            expiry_minutes=expiry_minutes,
            purpose=result.purpose,
        )
    except RaslRateLimitError as error:
        result.resends_rejected += 1
        logger.warning(
            "Resend for %s rejected by RASL's limit of 3 per 5 minutes, retry after %s seconds",
            result.masked_phone,
            error.retry_after,
        )
        return

    result.resends += 1
    result.outcome = "no_input"
    result.attempts_remaining = None
    result.expires_at = sent.expires_at


def check_code(
    credentials: RaslCredentials,
    result: OtpVerificationResult,
    phone: str,
    code: str,
    max_resends: int,
) -> bool:
    """Verify a typed code, record the outcome in `result`, and tell whether waiting should stop.

    Returns:
        True when the code was verified, or when it failed in a way that only a new code
        could fix and no resend is left; False while the user may still type or resend.
    """
    logger = get_logger()
    if not code:
        logger.info("Input for %s has no code and no resend; waiting again", result.masked_phone)
        return False

    resend_left = result.resends < max_resends
    try:
        verification = verify_otp(credentials, phone=phone, code=code, purpose=result.purpose)
    except RaslOtpInvalidCodeError as error:
        result.failed_attempts += 1
        result.attempts_remaining = error.attempts_remaining
        if error.attempts_remaining == 0:
            result.outcome = "max_attempts"
            return not resend_left
        result.outcome = "invalid"
        return False
    except RaslOtpMaxAttemptsError:
        result.failed_attempts += 1
        result.attempts_remaining = 0
        result.outcome = "max_attempts"
        return not resend_left
    except RaslOtpExpiredError:
        result.outcome = "expired"
        return not resend_left
    except RaslOtpNotFoundError:
        result.outcome = "not_found"
        return not resend_left

    result.outcome = "verified"
    result.verified_at = verification.verified_at
    result.attempts_remaining = None
    return True


def publish_result(result: OtpVerificationResult) -> None:
    """Leave a markdown artifact with the outcome and its counts, never the code."""
    remaining = result.attempts_remaining
    rows = [
        ("outcome", f"**{result.outcome}**"),
        ("phone", result.masked_phone),
        ("purpose", result.purpose),
        ("failed attempts", str(result.failed_attempts)),
        ("attempts remaining", "" if remaining is None else str(remaining)),
        ("new codes sent", str(result.resends)),
        ("resends rejected", str(result.resends_rejected)),
        ("last code expires at", str(result.expires_at or "")),
        ("verified at", str(result.verified_at or "")),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    create_markdown_artifact(
        key="otp-verification",
        markdown=f"# OTP verification\n\n| | |\n| --- | --- |\n{table}\n",
        description=f"OTP verification of {result.masked_phone}: {result.outcome}",
    )
