"""Tasks that read the account behind the token: details, usage and plan limits."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import AccountInfo, PlanLimits, UsageStatistics
from rasl_prefect.tasks.policies import (
    READ_TASK_RETRIES,
    READ_TASK_RETRY_DELAYS_SECONDS,
    require_scopes,
    retry_if_retryable,
)


@task(
    name="get_account_info",
    description="Reads the RASL account that the token belongs to.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_account_info(credentials: RaslCredentials) -> AccountInfo:
    """Read the account the token belongs to (`GET /account`).

    Args:
        credentials: The RASL block; the token needs `account:read`.

    Returns:
        The account, with its `name`, `subdomain` and `status`.

    Examples:
        Check that a block's token works:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_account_info

        @flow
        def check_token() -> str | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_account_info(credentials).name

        check_token()
        ```
    """
    require_scopes(credentials, "account:read")
    client = credentials.get_client()

    account = client.get_account_info()

    get_logger().info("Read account %s: status %s", account.id, account.status)
    return account


@task(
    name="get_usage_statistics",
    description="Reads the account's usage of contacts, conversations, campaigns and staff.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_usage_statistics(credentials: RaslCredentials) -> UsageStatistics:
    """Read the account's usage against its plan (`GET /account/usage`).

    Args:
        credentials: The RASL block; the token needs `account:read`.

    Returns:
        Usage of `contacts`, `conversations` (this month), `campaigns` and `staff`, each with
        `current`, `limit` (-1 means unlimited) and `remaining`.

    Examples:
        Stop an import when the contact limit is near:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_usage_statistics

        @flow
        def contacts_left() -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            usage = get_usage_statistics(credentials)
            return usage.contacts.remaining if usage.contacts else None

        contacts_left()
        ```
    """
    require_scopes(credentials, "account:read")
    client = credentials.get_client()

    usage = client.get_usage_statistics()

    contacts = usage.contacts
    get_logger().info(
        "Read usage statistics: %s contacts of limit %s",
        contacts.current if contacts else None,
        contacts.limit if contacts else None,
    )
    return usage


@task(
    name="get_plan_limits",
    description="Reads the plan's limits, the token's rate limit and the plan's features.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_plan_limits(credentials: RaslCredentials) -> PlanLimits:
    """Read the plan's limits and feature flags (`GET /account/limits`).

    Args:
        credentials: The RASL block; the token needs `account:read`.

    Returns:
        The limits by key (`contacts`, `conversations`, `campaigns`, `staff`,
        `api_calls_per_minute`) and the features, such as `whatsapp_templates`.

    Examples:
        Read the token's requests-per-minute limit:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_plan_limits

        @flow
        def token_rate_limit() -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_plan_limits(credentials).api_calls_per_minute

        token_rate_limit()
        ```
    """
    require_scopes(credentials, "account:read")
    client = credentials.get_client()

    limits = client.get_plan_limits()

    get_logger().info(
        "Read plan limits: %d limits, %d features, %s API calls per minute",
        len(limits.limits),
        len(limits.features),
        limits.api_calls_per_minute,
    )
    return limits
