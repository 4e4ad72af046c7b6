"""One-time passwords: issuing, verification with attempt limits, and the per-phone limiters."""

from __future__ import annotations

import hmac
import math
import secrets
from typing import Any

from rasl_prefect.sandbox.clock import isoformat
from rasl_prefect.sandbox.errors import ApiError
from rasl_prefect.sandbox.state import SandboxState

MAX_ATTEMPTS = 5
VERIFY_LIMIT = (10, 60.0)
"""Verification requests allowed per phone, and the window in seconds."""
RESEND_LIMIT = (3, 300.0)
"""Resends allowed per phone, and the window in seconds."""
DEFAULT_PURPOSE = "authentication"


def otp_key(phone: str, purpose: str) -> str:
    """Return the key of the one active OTP of a phone and purpose."""
    return f"{phone}|{purpose}"


def generate_code() -> str:
    """Return a random 6-digit code."""
    return f"{secrets.randbelow(1_000_000):06d}"


def store_otp(
    state: SandboxState,
    *,
    phone: str,
    purpose: str,
    code: str,
    expiry_minutes: int,
    template: dict[str, Any],
    message_id: str,
) -> dict[str, Any]:
    """Store the OTP of a phone and purpose, replacing any earlier one, and log the code sent."""
    now = state.now()
    record = {
        "phone": phone,
        "purpose": purpose,
        "code": code,
        "created_at": now,
        "expires_at": now + expiry_minutes * 60,
        "attempts": 0,
        "max_attempts": MAX_ATTEMPTS,
        "template_name": template["template_name"],
        "language": template["language"],
    }
    state.otps.put(otp_key(phone, purpose), record)
    state.sent_otps.append(
        {
            "phone": phone,
            "purpose": purpose,
            "code": code,
            "template_name": template["template_name"],
            "language": template["language"],
            "message_id": message_id,
            "sent_at": isoformat(now),
            "expires_at": isoformat(record["expires_at"]),
        }
    )
    return record


def hit_limiter(
    state: SandboxState,
    hits: dict[str, list[float]],
    phone: str,
    limit: tuple[int, float],
    what: str,
) -> None:
    """Count one request of `phone`, or raise 429 with `retry_after` when the limit is reached."""
    allowed, window = limit
    now = state.now()
    recent = [moment for moment in hits.get(phone, []) if now - moment < window]
    if len(recent) >= allowed:
        retry_after = max(1, math.ceil(window - (now - recent[0])))
        hits[phone] = recent
        raise ApiError(
            429,
            "RATE_LIMIT_EXCEEDED",
            f"Too many {what} for this phone: {allowed} per {window:g} seconds; retry after "
            f"{retry_after} seconds.",
            {"retry_after": retry_after},
            {"Retry-After": str(retry_after)},
        )
    recent.append(now)
    hits[phone] = recent


def verify_code(state: SandboxState, phone: str, purpose: str, code: str) -> None:
    """Check `code` against the active OTP and use it up on success.

    Raises:
        ApiError: 422 `OTP_NOT_FOUND`, `MAX_ATTEMPTS_EXCEEDED`, `OTP_EXPIRED` or `INVALID_CODE`
            (with `attempts_remaining`).
    """
    key = otp_key(phone, purpose)
    record = state.otps.get(key)
    if record is None:
        raise ApiError(
            422,
            "OTP_NOT_FOUND",
            f"No active OTP for this phone and purpose {purpose!r}; send an OTP first.",
        )
    if record["attempts"] >= record["max_attempts"]:
        raise ApiError(
            422,
            "MAX_ATTEMPTS_EXCEEDED",
            f"The OTP was blocked after {record['max_attempts']} failed attempts; request a new "
            "OTP.",
            {"attempts_remaining": 0},
        )
    if state.now() >= record["expires_at"]:
        raise ApiError(422, "OTP_EXPIRED", "The OTP has expired; request a new OTP.")
    if not hmac.compare_digest(record["code"].encode("utf-8"), code.encode("utf-8")):
        record["attempts"] += 1
        state.otps.put(key, record)
        remaining = record["max_attempts"] - record["attempts"]
        raise ApiError(
            422,
            "INVALID_CODE",
            f"The code is not correct; {remaining} attempt{'s' if remaining != 1 else ''} "
            "remaining.",
            {"attempts_remaining": remaining},
        )
    state.otps.remove(key)


def otp_status(state: SandboxState, phone: str, purpose: str) -> dict[str, Any] | None:
    """Return the Check OTP Status data, or None when no OTP exists."""
    record = state.otps.get(otp_key(phone, purpose))
    if record is None:
        return None
    now = state.now()
    expires_in = math.floor(record["expires_at"] - now)
    return {
        "has_active_otp": True,
        "expires_at": isoformat(record["expires_at"]),
        "expires_in_seconds": expires_in,
        "is_expired": now >= record["expires_at"],
        "verification_attempts": record["attempts"],
        "max_attempts": record["max_attempts"],
        "attempts_remaining": max(0, record["max_attempts"] - record["attempts"]),
        "created_at": isoformat(record["created_at"]),
    }
