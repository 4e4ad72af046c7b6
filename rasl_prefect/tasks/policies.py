"""Retry, cache and scope checks shared by the RASL tasks.

The client already retries rate limits and transient failures inside one task run, so task-level
retries are a second, coarser layer: they are set on read tasks only, and retry only errors that
the client marks `retryable`. Send and create tasks are never retried by Prefect. Instead most
of them use `SIDE_EFFECT_CACHE_POLICY`, so a retried flow run reuses their earlier result
instead of sending again.
"""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import INPUTS, RUN_ID, CachePolicy
from prefect.client.schemas.objects import State, TaskRun

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import RaslError, RaslScopeError

READ_TASK_RETRIES = 2
"""Task-level retries of a read task, on top of the client's own retries of each request."""

READ_TASK_RETRY_DELAYS_SECONDS = [30.0, 90.0]
"""Seconds to wait before each task-level retry; long, because the client has already waited."""

SIDE_EFFECT_CACHE_POLICY: CachePolicy = (INPUTS + RUN_ID) - "credentials"
"""Cache key of send and create tasks: the arguments except `credentials`, and the flow run.

Within one flow run, and across retries of that flow run, a second call with the same arguments
returns the stored result of the first successful call and sends nothing. The credentials block is
left out of the key, so rotating the token does not defeat the cache, and it is never persisted:
only the task's return value is stored. A call outside a flow run is keyed by its own task run id,
so it is never served from the cache. The cache lives in Prefect's result storage, which is a
local folder by default: when a retried flow run may land on another machine, set shared
result storage (`PREFECT_RESULTS_DEFAULT_STORAGE_BLOCK`), or the retry sends again.
"""


def retry_if_retryable(task: Any, task_run: TaskRun, state: State[Any]) -> bool:
    """Decide whether Prefect retries a failed task run: only for errors marked `retryable`.

    Used as `retry_condition_fn`. A `RaslError` is retryable when repeating the request cannot
    cause a duplicate side effect and may succeed, such as a rate limit that outlasted the
    client's own waiting or a connection that failed before the request was sent.

    Args:
        task: The task whose run failed.
        task_run: The failed task run.
        state: The failed state, holding the raised exception.

    Returns:
        True to retry the task run, False to let it fail.
    """
    error = state.result(raise_on_failure=False)
    return isinstance(error, RaslError) and error.retryable


def require_scopes(credentials: RaslCredentials, *scopes: str) -> None:
    """Raise before any request when the block's `scopes` list lacks a scope the call needs.

    Blocks whose `scopes` list is empty are not checked, because their scopes are unknown.
    The API then rejects a call that lacks a scope with `INSUFFICIENT_SCOPE` itself.

    Args:
        credentials: The block the task was given.
        *scopes: The scopes the endpoint needs, such as `messages:send`.

    Raises:
        RaslScopeError: One or more scopes are missing from `credentials.scopes`.
    """
    missing = credentials.missing_scopes(list(scopes))
    if missing:
        raise RaslScopeError(
            f"The token of this RaslCredentials block lacks the scope {', '.join(missing)}; "
            "create a token with it in RASL under API Management, or add it to the block's "
            "scopes if the token already has it.",
            code="INSUFFICIENT_SCOPE",
        )
