"""Tasks that manage contact groups and their members."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import DeleteResult, Group, GroupMembershipChange, Page
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
    name="list_groups",
    description="Lists contact groups: every page, or one page.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def list_groups(
    credentials: RaslCredentials,
    page: int | None = None,
    per_page: int = MAX_PER_PAGE,
    sort: str | None = None,
    search: str | None = None,
    filter: dict[str, Any] | None = None,
) -> ItemList[Group] | Page[Group]:
    """List contact groups (`GET /groups`).

    Args:
        credentials: The RASL block; the token needs `groups:read`.
        page: One page to return, from 1; None reads every page.
        per_page: Groups per request, 1 to 100.
        sort: `name`, `created_at` or `updated_at`, `-` first for descending.
        search: A partial match on the name.
        filter: `filter[...]` values, such as `{"name": "VIP"}`.

    Returns:
        Every group as an `ItemList` when `page` is None, else that `Page` with its
        pagination data.

    Examples:
        Map group names to ids from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import list_groups

        @flow
        def group_ids() -> dict[str | None, int | None]:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return {group.name: group.id for group in list_groups(credentials).items}

        group_ids()
        ```
    """
    require_scopes(credentials, "groups:read")
    client = credentials.get_client()
    query: dict[str, Any] = {"sort": sort, "search": search, "filter": filter}

    if page is not None:
        one_page = client.list_groups(page=page, per_page=per_page, **query)
        get_logger().info("Read %d groups on page %d", len(one_page.items), page)
        return one_page

    groups = ItemList[Group](items=list(client.iter_groups(per_page=per_page, **query)))
    get_logger().info("Read %d groups from every page", len(groups.items))
    return groups


@task(
    name="create_group",
    description="Creates a contact group with a unique name.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def create_group(credentials: RaslCredentials, name: str) -> Group:
    """Create a group (`POST /groups`).

    Within one flow run, and across retries of that run, a second call with the same name
    returns the first result instead of failing on the duplicate name.

    Args:
        credentials: The RASL block; the token needs `groups:write`.
        name: At most 255 characters, unique in the account.

    Returns:
        The created group.

    Examples:
        Create a group from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import create_group

        @flow
        def add_vip_group() -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return create_group(credentials, name="VIP customers").id

        add_vip_group()
        ```
    """
    require_scopes(credentials, "groups:write")
    client = credentials.get_client()

    group = client.create_group(name)

    get_logger().info("Created group %s", group.id)
    return group


@task(
    name="get_group",
    description="Reads one contact group.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_group(credentials: RaslCredentials, group_id: int) -> Group:
    """Read one group (`GET /groups/{id}`).

    Args:
        credentials: The RASL block; the token needs the group read scope, probably `groups:read`.
        group_id: The group's id.

    Returns:
        The group.

    Examples:
        Read a group's name from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_group

        @flow
        def group_name(group_id: int) -> str | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_group(credentials, group_id=group_id).name

        group_name(7)
        ```
    """
    # NOTE: the RASL docs name no scope for this endpoint, so nothing is checked before the call.
    client = credentials.get_client()

    group = client.get_group(group_id)

    get_logger().info("Read group %s", group.id)
    return group


@task(
    name="update_group",
    description="Renames a contact group.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def update_group(credentials: RaslCredentials, group_id: int, name: str) -> Group:
    """Rename a group (`PATCH /groups/{id}`).

    Args:
        credentials: The RASL block; the token needs `groups:write`.
        group_id: The group's id.
        name: The new name, at most 255 characters, unique in the account.

    Returns:
        The renamed group.

    Examples:
        Rename a group from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import update_group

        @flow
        def rename_group(group_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            update_group(credentials, group_id=group_id, name="Gold customers")

        rename_group(7)
        ```
    """
    require_scopes(credentials, "groups:write")
    client = credentials.get_client()

    group = client.update_group(group_id, name)

    get_logger().info("Renamed group %s", group_id)
    return group


@task(
    name="delete_group",
    description="Deletes a contact group.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def delete_group(credentials: RaslCredentials, group_id: int) -> DeleteResult:
    """Delete a group (`DELETE /groups/{id}`).

    The RASL docs do not say what happens to the group's members; check them with
    `list_contacts(filter={"group_id": ...})` first if it matters.

    Args:
        credentials: The RASL block; the token needs the group delete scope, which the RASL
            docs do not name.
        group_id: The group's id.

    Returns:
        The result, with the deleted group's `id`.

    Examples:
        Delete a group from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import delete_group

        @flow
        def remove_group(group_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            delete_group(credentials, group_id=group_id)

        remove_group(7)
        ```
    """
    # NOTE: the RASL docs name no scope for this endpoint, so nothing is checked before the call.
    client = credentials.get_client()

    result = client.delete_group(group_id)

    get_logger().info("Deleted group %s", group_id)
    return result


@task(
    name="add_contacts_to_group",
    description="Adds contacts to a group; contacts already in it are skipped.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def add_contacts_to_group(
    credentials: RaslCredentials,
    group_id: int,
    contact_ids: list[int],
) -> GroupMembershipChange:
    """Add contacts to a group (`POST /groups/{id}/contacts`).

    Contacts already in the group are skipped and not counted, so repeating the call is safe.

    Args:
        credentials: The RASL block; the token needs `groups:write`.
        group_id: The group's id.
        contact_ids: At least one existing contact id.

    Returns:
        The change, with `contacts_added` counting only new members.

    Examples:
        Add two contacts to a group from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import add_contacts_to_group

        @flow
        def enrol_vips(group_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            add_contacts_to_group(credentials, group_id=group_id, contact_ids=[41, 42])

        enrol_vips(7)
        ```
    """
    require_scopes(credentials, "groups:write")
    client = credentials.get_client()

    change = client.add_contacts_to_group(group_id, contact_ids)

    get_logger().info(
        "Added %s of %d contacts to group %s", change.contacts_added, len(contact_ids), group_id
    )
    return change


@task(
    name="remove_contacts_from_group",
    description="Removes contacts from a group; contacts not in it are skipped.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def remove_contacts_from_group(
    credentials: RaslCredentials,
    group_id: int,
    contact_ids: list[int],
) -> GroupMembershipChange:
    """Remove contacts from a group (`DELETE /groups/{id}/contacts`).

    Contacts not in the group are skipped and not counted, so repeating the call is safe.

    Args:
        credentials: The RASL block; the token needs `groups:write`.
        group_id: The group's id.
        contact_ids: At least one contact id.

    Returns:
        The change, with `contacts_removed` counting only former members.

    Examples:
        Remove a contact from a group from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import remove_contacts_from_group

        @flow
        def drop_vip(group_id: int, contact_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            remove_contacts_from_group(credentials, group_id=group_id, contact_ids=[contact_id])

        drop_vip(7, 42)
        ```
    """
    require_scopes(credentials, "groups:write")
    client = credentials.get_client()

    change = client.remove_contacts_from_group(group_id, contact_ids)

    get_logger().info(
        "Removed %s of %d contacts from group %s",
        change.contacts_removed,
        len(contact_ids),
        group_id,
    )
    return change
