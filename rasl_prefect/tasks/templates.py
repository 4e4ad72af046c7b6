"""Tasks that read message templates and sync them from the WhatsApp Business Account."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import Page, Template, TemplateSyncResult
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.tasks.listing import ItemList
from rasl_prefect.tasks.policies import (
    READ_TASK_RETRIES,
    READ_TASK_RETRY_DELAYS_SECONDS,
    require_scopes,
    retry_if_retryable,
)


@task(
    name="list_templates",
    description="Lists the WhatsApp message templates: every page, or one page.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def list_templates(
    credentials: RaslCredentials,
    page: int | None = None,
    per_page: int = MAX_PER_PAGE,
    sort: str | None = None,
    search: str | None = None,
    filter: dict[str, Any] | None = None,
) -> ItemList[Template] | Page[Template]:
    """List message templates of every status and category (`GET /templates`).

    Args:
        credentials: The RASL block; the token needs `templates:read`.
        page: One page to return, from 1; None reads every page.
        per_page: Templates per request, 1 to 100.
        sort: `template_name`, `created_at` or `updated_at`, `-` first for descending.
        search: A partial match on the name and category.
        filter: `filter[...]` values; the API documents none for this endpoint.

    Returns:
        Every template as an `ItemList` when `page` is None, else that `Page` with its
        pagination data.

    Examples:
        Find the approved templates from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import list_templates

        @flow
        def approved_templates() -> list[str | None]:
            credentials = RaslCredentials.load("BLOCK_NAME")
            templates = list_templates(credentials)
            return [item.template_name for item in templates.items if item.status == "APPROVED"]

        approved_templates()
        ```
    """
    require_scopes(credentials, "templates:read")
    client = credentials.get_client()
    query: dict[str, Any] = {"sort": sort, "search": search, "filter": filter}

    if page is not None:
        one_page = client.list_templates(page=page, per_page=per_page, **query)
        get_logger().info("Read %d templates on page %d", len(one_page.items), page)
        return one_page

    templates = ItemList[Template](items=list(client.iter_templates(per_page=per_page, **query)))
    get_logger().info("Read %d templates from every page", len(templates.items))
    return templates


@task(
    name="get_template",
    description="Reads one message template by its WhatsApp template id.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_template(credentials: RaslCredentials, template_id: str) -> Template:
    """Read one template (`GET /templates/{id}`).

    Args:
        credentials: The RASL block; the token needs `templates:read`.
        template_id: The WhatsApp `template_id` string, not the integer `id`.

    Returns:
        The template, with `body_params_count` telling how many `field_N` values a send needs.

    Examples:
        Count a template's body parameters from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_template

        @flow
        def body_parameter_count(template_id: str) -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_template(credentials, template_id=template_id).body_params_count

        body_parameter_count("1234567890")
        ```
    """
    require_scopes(credentials, "templates:read")
    client = credentials.get_client()

    template = client.get_template(template_id)

    get_logger().info(
        "Read template %s (%s, %s): %s",
        template.template_name,
        template.language,
        template_id,
        template.status,
    )
    return template


@task(
    name="sync_templates",
    description="Pulls every template from the WhatsApp Business Account into RASL.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def sync_templates(credentials: RaslCredentials) -> TemplateSyncResult:
    """Pull every template from the connected WhatsApp Business Account (`POST /templates/sync`).

    Run it after editing templates in Meta Business Manager. The response fields are
    undocumented, so the result keeps whatever the server sent as extra fields.

    Args:
        credentials: The RASL block; the token needs `templates:sync`.

    Returns:
        The server's sync result.

    Examples:
        Sync templates before a campaign:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import sync_templates

        @flow
        def refresh_templates() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            sync_templates(credentials)

        refresh_templates()
        ```
    """
    require_scopes(credentials, "templates:sync")
    client = credentials.get_client()

    result = client.sync_templates()

    counts = {
        name: value
        for name, value in result.model_dump().items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    get_logger().info("Synced templates from WhatsApp; counts: %s", counts or "none reported")
    return result
