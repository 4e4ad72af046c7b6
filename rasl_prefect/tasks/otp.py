"""Tasks that send and verify one-time passwords through AUTHENTICATION templates."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.models import (
    AuthenticationTemplate,
    OtpSent,
    OtpStatus,
    OtpVerification,
    Page,
)
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.tasks.listing import ItemList
from rasl_prefect.tasks.policies import (
    READ_TASK_RETRIES,
    READ_TASK_RETRY_DELAYS_SECONDS,
    SIDE_EFFECT_CACHE_POLICY,
    require_scopes,
    retry_if_retryable,
)


@task(
    name="send_otp",
    description="Sends a one-time code that the caller generated, with an AUTHENTICATION template.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    # The code stays out of the cache key: a hash of six digits and known inputs is easy to
    # reverse. NOTE: so a second send_otp to the same phone in one flow run is not sent;
    # use resend_otp for a new code.
    cache_policy=SIDE_EFFECT_CACHE_POLICY - "code",
)
def send_otp(
    credentials: RaslCredentials,
    phone: str,
    template_name: str,
    code: str,
    language: str | None = None,
    expiry_minutes: int | None = None,
    purpose: str | None = None,
    contact_id: int | None = None,
    additional_params: list[str] | None = None,
) -> OtpSent:
    """Send a one-time code you generated (`POST /auth/send-otp`).

    Only one OTP is active per phone and purpose; sending replaces the previous one. The code
    is never logged and is not part of the result. Within one flow run, and across retries of
    that run, a second call with the same arguments returns the first result and sends nothing.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, such as `+966500000011`.
        template_name: An APPROVED AUTHENTICATION template whose `{{1}}` receives the code.
        code: The code to send.
        language: The template's language code; the server's default is `en`.
        expiry_minutes: 1 to 60; the server's default is 10.
        purpose: At most 50 characters, such as `login`; the server's default is `authentication`.
        contact_id: An existing contact.
        additional_params: Extra body parameters after the code and the expiry.

    Returns:
        The send result with `expires_at`.

    Examples:
        Send a login code from a flow:
        ```python
        import secrets

        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import send_otp

        @flow
        def send_login_code() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            code = f"{secrets.randbelow(10**6):06d}"
            send_otp(credentials, phone="+966500000011", template_name="otp_login", code=code)

        send_login_code()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.send_otp(
        phone=phone,
        template_name=template_name,
        code=code,
        language=language,
        expiry_minutes=expiry_minutes,
        purpose=purpose,
        contact_id=contact_id,
        additional_params=additional_params,
    )

    get_logger().info(
        "Sent OTP message %s to %s; it expires at %s",
        sent.message_id,
        mask_phone(phone),
        sent.expires_at,
    )
    return sent


@task(
    name="verify_otp",
    description="Checks a one-time code that a user typed.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def verify_otp(
    credentials: RaslCredentials,
    phone: str,
    code: str,
    purpose: str | None = None,
) -> OtpVerification:
    """Check a code the user typed (`POST /auth/verify`).

    A successful check uses up the OTP, so a retried flow run gets the stored result of the
    first success instead of `OTP_NOT_FOUND`. Failed checks are not stored and count as
    attempts: after 5 the OTP is blocked.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The phone number the code was sent to.
        code: The code the user typed.
        purpose: The purpose used when sending; the server's default is `authentication`.

    Returns:
        The verification with `verified_at`.

    Raises:
        RaslOtpInvalidCodeError: The code is wrong; `attempts_remaining` is the tries left.
        RaslOtpExpiredError: The OTP expired; send a new one.
        RaslOtpNotFoundError: No OTP is active for the phone and purpose.
        RaslOtpMaxAttemptsError: Too many failed attempts; send a new OTP.

    Examples:
        Verify a code from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import verify_otp

        @flow
        def check_login_code(code: str) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            verify_otp(credentials, phone="+966500000011", code=code)

        check_login_code("482913")
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    verification = client.verify_otp(phone=phone, code=code, purpose=purpose)

    get_logger().info("Verified OTP of %s at %s", mask_phone(phone), verification.verified_at)
    return verification


# A second resend in the same flow run is meant to send another code, so this task is not
# cached like the other sends: each call replaces the OTP, and a retried flow run sends again.
@task(
    name="resend_otp",
    description="Replaces the active one-time code with a new server-generated 6-digit code.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def resend_otp(
    credentials: RaslCredentials,
    phone: str,
    template_name: str,
    language: str | None = None,
    expiry_minutes: int | None = None,
    purpose: str | None = None,
) -> OtpSent:
    """Send a new server-generated 6-digit code in place of the active one (`POST /auth/resend`).

    The server allows 3 resends per 5 minutes per phone; beyond that it raises
    `RaslRateLimitError` with `retry_after`. Every call sends a message, even with the same
    arguments in the same flow run.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, such as `+966500000011`.
        template_name: An APPROVED AUTHENTICATION template.
        language: The template's language code; the server's default is `en`.
        expiry_minutes: 1 to 60; the server's default is 10.
        purpose: The purpose used when sending; the server's default is `authentication`.

    Returns:
        The send result with the new `expires_at`.

    Examples:
        Resend a login code from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import resend_otp

        @flow
        def resend_login_code() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            resend_otp(credentials, phone="+966500000011", template_name="otp_login")

        resend_login_code()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.resend_otp(
        phone=phone,
        template_name=template_name,
        language=language,
        expiry_minutes=expiry_minutes,
        purpose=purpose,
    )

    get_logger().info(
        "Resent OTP message %s to %s; it expires at %s",
        sent.message_id,
        mask_phone(phone),
        sent.expires_at,
    )
    return sent


@task(
    name="check_otp_status",
    description="Reads the state of the active one-time code without using an attempt.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def check_otp_status(
    credentials: RaslCredentials,
    phone: str,
    purpose: str | None = None,
) -> OtpStatus:
    """Read the active OTP's state without counting an attempt (`POST /auth/status`).

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The phone number the code was sent to.
        purpose: The purpose used when sending; the server's default is `authentication`.

    Returns:
        The state; `has_active_otp` is False when no OTP is active.

    Examples:
        Check how many attempts are left:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import check_otp_status

        @flow
        def attempts_left() -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return check_otp_status(credentials, phone="+966500000011").attempts_remaining

        attempts_left()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    status = client.check_otp_status(phone=phone, purpose=purpose)

    get_logger().info(
        "Read OTP status of %s: active %s, %s attempts remaining",
        mask_phone(phone),
        status.has_active_otp,
        status.attempts_remaining,
    )
    return status


@task(
    name="list_authentication_templates",
    description="Lists the approved AUTHENTICATION templates: every page, or one page.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def list_authentication_templates(
    credentials: RaslCredentials,
    page: int | None = None,
    per_page: int = MAX_PER_PAGE,
    sort: str | None = None,
    search: str | None = None,
    filter: dict[str, Any] | None = None,
) -> ItemList[AuthenticationTemplate] | Page[AuthenticationTemplate]:
    """List the APPROVED templates of category AUTHENTICATION (`GET /auth/templates`).

    Args:
        credentials: The RASL block; the token needs `templates:read`.
        page: One page to return, from 1; None reads every page.
        per_page: Templates per request, 1 to 100.
        sort: `template_name`, `created_at` or `language`, `-` first for descending.
        search: A partial match on the name and body.
        filter: Filters on `language` and `template_name`, such as `{"language": "en"}`.

    Returns:
        Every template as an `ItemList` when `page` is None, else that `Page` with its
        pagination data.

    Examples:
        Find the OTP templates from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import list_authentication_templates

        @flow
        def otp_template_names() -> list[str | None]:
            credentials = RaslCredentials.load("BLOCK_NAME")
            templates = list_authentication_templates(credentials)
            return [template.template_name for template in templates.items]

        otp_template_names()
        ```
    """
    require_scopes(credentials, "templates:read")
    client = credentials.get_client()
    query: dict[str, Any] = {"sort": sort, "search": search, "filter": filter}

    if page is not None:
        one_page = client.list_authentication_templates(page=page, per_page=per_page, **query)
        get_logger().info("Read %d authentication templates on page %d", len(one_page.items), page)
        return one_page

    templates = ItemList[AuthenticationTemplate](
        items=list(client.iter_authentication_templates(per_page=per_page, **query))
    )
    get_logger().info("Read %d authentication templates from every page", len(templates.items))
    return templates
