"""Tasks that create, read, change and delete contacts, one at a time or in batches."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.models import (
    BatchCreateResult,
    BatchDeleteResult,
    Contact,
    ContactType,
    DeleteResult,
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
    name="list_contacts",
    description="Lists contacts, with search and filters: every page, or one page.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def list_contacts(
    credentials: RaslCredentials,
    page: int | None = None,
    per_page: int = MAX_PER_PAGE,
    sort: str | None = None,
    search: str | None = None,
    include: list[str] | None = None,
    filter: dict[str, Any] | None = None,
) -> ItemList[Contact] | Page[Contact]:
    """List contacts (`GET /contacts`).

    Args:
        credentials: The RASL block; the token needs `contacts:read`.
        page: One page to return, from 1; None reads every page.
        per_page: Contacts per request, 1 to 100.
        sort: `id`, `firstname`, `lastname`, `created_at` or `updated_at`, `-` first for
            descending; comma-separated.
        search: A partial match on names, email, phone and company.
        include: Relations to embed: `groups`, `source`, `status`.
        filter: Filters on `type`, `status_id`, `source_id`, `assigned_id`, `created_at` and
            `group_id`, exact or with an operator: `{"created_at": {"gte": "2026-01-01"}}`.

    Returns:
        Every contact as an `ItemList` when `page` is None, else that `Page` with its
        pagination data.

    Examples:
        Read every lead from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import list_contacts

        @flow
        def count_leads() -> int:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return len(list_contacts(credentials, filter={"type": "lead"}).items)

        count_leads()
        ```
    """
    require_scopes(credentials, "contacts:read")
    client = credentials.get_client()
    query: dict[str, Any] = {"sort": sort, "search": search, "include": include, "filter": filter}

    if page is not None:
        one_page = client.list_contacts(page=page, per_page=per_page, **query)
        get_logger().info("Read %d contacts on page %d", len(one_page.items), page)
        return one_page

    contacts = ItemList[Contact](items=list(client.iter_contacts(per_page=per_page, **query)))
    get_logger().info("Read %d contacts from every page", len(contacts.items))
    return contacts


@task(
    name="create_contact",
    description="Creates one contact.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def create_contact(
    credentials: RaslCredentials,
    firstname: str,
    lastname: str,
    phone: str,
    type: ContactType,
    source_id: int,
    status_id: int,
    email: str | None = None,
    company: str | None = None,
    description: str | None = None,
    city: str | None = None,
    state: str | None = None,
    zip: str | None = None,
    address: str | None = None,
    country_id: int | None = None,
    assigned_id: int | None = None,
    groups: list[int] | None = None,
) -> Contact:
    """Create a contact (`POST /contacts`).

    Phone and email are unique per account. The API has no endpoint that lists sources and
    statuses, so read `source_id` and `status_id` from the dashboard or from existing
    contacts. Within one flow run, and across retries of that run, a second call with the same
    arguments returns the first result instead of failing on the duplicate phone.

    Args:
        credentials: The RASL block; the token needs `contacts:write`.
        firstname: At most 255 characters.
        lastname: At most 255 characters.
        phone: At most 20 characters, with country code.
        type: `lead`, `customer` or `guest`.
        source_id: An existing contact source.
        status_id: An existing contact status.
        email: A valid address of at most 191 characters.
        company: At most 255 characters.
        description: Free text.
        city: At most 255 characters.
        state: At most 255 characters.
        zip: At most 20 characters.
        address: At most 500 characters.
        country_id: A country id.
        assigned_id: The staff member the contact is assigned to.
        groups: Group ids to add the contact to.

    Returns:
        The created contact.

    Examples:
        Create a lead from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import create_contact

        @flow
        def add_lead() -> int | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            contact = create_contact(
                credentials,
                firstname="Sara",
                lastname="Haddad",
                phone="+966500000011",
                type="lead",
                source_id=1,
                status_id=1,
            )
            return contact.id

        add_lead()
        ```
    """
    require_scopes(credentials, "contacts:write")
    client = credentials.get_client()

    contact = client.create_contact(
        firstname=firstname,
        lastname=lastname,
        phone=phone,
        type=type,
        source_id=source_id,
        status_id=status_id,
        email=email,
        company=company,
        description=description,
        city=city,
        state=state,
        zip=zip,
        address=address,
        country_id=country_id,
        assigned_id=assigned_id,
        groups=groups,
    )

    get_logger().info("Created contact %s for %s", contact.id, mask_phone(phone))
    return contact


@task(
    name="get_contact",
    description="Reads one contact.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_contact(
    credentials: RaslCredentials,
    contact_id: int,
    include: list[str] | None = None,
) -> Contact:
    """Read one contact (`GET /contacts/{id}`).

    Args:
        credentials: The RASL block; the token needs `contacts:read`.
        contact_id: The contact's id.
        include: Relations to embed: `groups`, `source`, `status`.

    Returns:
        The contact.

    Examples:
        Check whether a contact opted out:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_contact

        @flow
        def has_opted_out(contact_id: int) -> bool | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_contact(credentials, contact_id=contact_id).is_opted_out

        has_opted_out(42)
        ```
    """
    require_scopes(credentials, "contacts:read")
    client = credentials.get_client()

    contact = client.get_contact(contact_id, include=include)

    get_logger().info("Read contact %s", contact.id)
    return contact


@task(
    name="update_contact",
    description="Changes some fields of one contact.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def update_contact(
    credentials: RaslCredentials,
    contact_id: int,
    changes: dict[str, Any],
) -> Contact:
    """Change some fields of a contact (`PATCH /contacts/{id}`); other fields keep their values.

    Args:
        credentials: The RASL block; the token needs `contacts:write`.
        contact_id: The contact's id.
        changes: The fields to change, such as `{"type": "customer", "city": "Riyadh"}`, with
            the limits of `create_contact`.

    Returns:
        The updated contact.

    Examples:
        Turn a lead into a customer:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import update_contact

        @flow
        def convert_lead(contact_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            update_contact(credentials, contact_id=contact_id, changes={"type": "customer"})

        convert_lead(42)
        ```
    """
    require_scopes(credentials, "contacts:write")
    client = credentials.get_client()

    contact = client.update_contact(contact_id, **changes)

    get_logger().info(
        "Updated contact %s: changed %s", contact_id, ", ".join(sorted(changes)) or "nothing"
    )
    return contact


@task(
    name="delete_contact",
    description="Deletes one contact permanently.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def delete_contact(credentials: RaslCredentials, contact_id: int) -> DeleteResult:
    """Delete a contact permanently (`DELETE /contacts/{id}`).

    Args:
        credentials: The RASL block; the token needs the delete scope, probably `contacts:delete`.
        contact_id: The contact's id.

    Returns:
        The result, with the deleted contact's `id`.

    Examples:
        Delete a contact from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import delete_contact

        @flow
        def forget_contact(contact_id: int) -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            delete_contact(credentials, contact_id=contact_id)

        forget_contact(42)
        ```
    """
    # NOTE: the RASL docs name no scope for this endpoint, so nothing is checked before the call.
    client = credentials.get_client()

    result = client.delete_contact(contact_id)

    get_logger().info("Deleted contact %s", contact_id)
    return result


@task(
    name="batch_create_contacts",
    description="Creates many contacts in one request and one transaction.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def batch_create_contacts(
    credentials: RaslCredentials,
    contacts: list[dict[str, Any]],
    continue_on_error: bool | None = None,
    skip_duplicates: bool | None = None,
) -> BatchCreateResult:
    """Create many contacts in one transaction (`POST /contacts/batch`).

    Every contact is checked like `create_contact` before anything is sent. Within one flow
    run, and across retries of that run, a second call with the same arguments returns the
    first result.

    Args:
        credentials: The RASL block; the token needs `contacts:write`.
        contacts: Contacts with the fields of `create_contact`, such as
            `{"firstname": "Sara", "lastname": "Haddad", "phone": "+966500000011",
            "type": "lead", "source_id": 1, "status_id": 1}`.
        continue_on_error: Keep creating after a failed contact; the server's default is true.
        skip_duplicates: Skip phones that already exist instead of failing them; the server's
            default is false.

    Returns:
        The summary with the created contacts and the skipped and failed items by index.

    Examples:
        Import two leads from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import batch_create_contacts

        @flow
        def import_leads() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            lead = {"type": "lead", "source_id": 1, "status_id": 1, "lastname": "Haddad"}
            batch_create_contacts(
                credentials,
                contacts=[
                    {**lead, "firstname": "Sara", "phone": "+966500000011"},
                    {**lead, "firstname": "Omar", "phone": "+966500000012"},
                ],
                skip_duplicates=True,
            )

        import_leads()
        ```
    """
    # NOTE: the RASL docs state no maximum batch size; split very large imports yourself.
    require_scopes(credentials, "contacts:write")
    client = credentials.get_client()

    result = client.batch_create_contacts(
        contacts, continue_on_error=continue_on_error, skip_duplicates=skip_duplicates
    )

    summary = result.summary
    get_logger().info(
        "Batch of %d contacts: %s created, %s skipped, %s failed",
        len(contacts),
        summary.created,
        summary.skipped,
        summary.failed,
    )
    return result


@task(
    name="batch_delete_contacts",
    description="Deletes many contacts in one request; unknown ids count as failed.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def batch_delete_contacts(credentials: RaslCredentials, ids: list[int]) -> BatchDeleteResult:
    """Delete many contacts in one transaction (`DELETE /contacts/batch`).

    Ids that do not exist or belong to another account count as `failed`; the call still
    succeeds.

    Args:
        credentials: The RASL block; the token needs `contacts:delete`.
        ids: The contact ids.

    Returns:
        The summary with the deleted and failed counts.

    Examples:
        Delete test contacts from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import batch_delete_contacts

        @flow
        def remove_test_contacts() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            batch_delete_contacts(credentials, ids=[41, 42, 43])

        remove_test_contacts()
        ```
    """
    require_scopes(credentials, "contacts:delete")
    client = credentials.get_client()

    result = client.batch_delete_contacts(ids)

    get_logger().info(
        "Batch delete of %d contacts: %s deleted, %s failed",
        len(ids),
        result.summary.deleted,
        result.summary.failed,
    )
    return result
