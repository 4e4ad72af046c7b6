"""Contacts: create, read, update, delete, batches, and their list filters."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from rasl_prefect.models.common import RaslRequest, RaslResponse, Timestamp, check_phone
from rasl_prefect.models.query import FilterValue, ListFilter

ContactType = Literal["lead", "customer", "guest"]


class _ContactFields(RaslRequest):
    # NOTE: a loose shape check only; the server applies its full email rules.
    email: str | None = Field(default=None, max_length=191, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    company: str | None = Field(default=None, max_length=255)
    description: str | None = None
    city: str | None = Field(default=None, max_length=255)
    state: str | None = Field(default=None, max_length=255)
    zip: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    country_id: int | None = None
    assigned_id: int | None = None


class ContactCreate(_ContactFields):
    """Body of `POST /contacts`, and one item of `batch_create_contacts`.

    Attributes:
        firstname: At most 255 characters.
        lastname: At most 255 characters.
        phone: At most 20 characters, unique per account.
        type: `lead`, `customer` or `guest`.
        source_id: An existing contact source, read from the dashboard or existing contacts.
        status_id: An existing contact status, read from the dashboard or existing contacts.
        email: A valid address of at most 191 characters, unique per account.
        groups: Group ids to add the contact to.
    """

    firstname: str = Field(min_length=1, max_length=255)
    lastname: str = Field(min_length=1, max_length=255)
    phone: str
    type: ContactType
    source_id: int
    status_id: int
    groups: list[int] | None = None

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value, min_length=1, max_length=20)


class ContactUpdate(_ContactFields):
    """Body of `PATCH /contacts/{id}`: only the fields to change."""

    firstname: str | None = Field(default=None, min_length=1, max_length=255)
    lastname: str | None = Field(default=None, min_length=1, max_length=255)
    phone: str | None = None
    type: ContactType | None = None
    source_id: int | None = None
    status_id: int | None = None
    groups: list[int] | None = None

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str | None) -> str | None:
        return None if value is None else check_phone(value, min_length=1, max_length=20)


class BatchCreateOptions(RaslRequest):
    """Options of `batch_create_contacts`.

    Attributes:
        continue_on_error: Keep creating after a failed item; the server's default is true.
        skip_duplicates: Skip items whose phone already exists; the server's default is false.
    """

    continue_on_error: bool | None = None
    skip_duplicates: bool | None = None


class BatchCreateContactsRequest(RaslRequest):
    """Body of `POST /contacts/batch`."""

    contacts: list[ContactCreate] = Field(min_length=1)
    options: BatchCreateOptions | None = None


class BatchDeleteContactsRequest(RaslRequest):
    """Body of `DELETE /contacts/batch`."""

    ids: list[int] = Field(min_length=1)


class Contact(RaslResponse):
    """A contact. `groups`, `source` and `status` are present when requested with `include`."""

    id: int | None = None
    firstname: str | None = None
    lastname: str | None = None
    company: str | None = None
    type: str | None = None
    email: str | None = None
    phone: str | None = None
    status_id: int | None = None
    source_id: int | None = None
    description: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    address: str | None = None
    country_id: int | None = None
    assigned_id: int | None = None
    group_id: Any = None
    is_opted_out: bool | None = None
    groups: list[dict[str, Any]] | None = None
    source: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class BatchSummary(RaslResponse):
    """Counts of a batch operation; each count is None when the server left it out."""

    total: int | None = None
    created: int | None = None
    skipped: int | None = None
    deleted: int | None = None
    failed: int | None = None


class BatchItemProblem(RaslResponse):
    """A skipped or failed batch item: its `index` in the request and the `reason` or `errors`."""

    index: int | None = None
    reason: str | None = None
    errors: Any = None
    data: Any = None


class BatchCreateResult(RaslResponse):
    """The result of `batch_create_contacts`."""

    success: bool | None = None
    summary: BatchSummary = Field(default_factory=BatchSummary)
    created: list[Contact] = Field(default_factory=list)
    skipped: list[BatchItemProblem] = Field(default_factory=list)
    errors: list[BatchItemProblem] = Field(default_factory=list)


class BatchDeleteResult(RaslResponse):
    """The result of `batch_delete_contacts`; ids that do not exist count as `failed`."""

    success: bool | None = None
    summary: BatchSummary = Field(default_factory=BatchSummary)


class DeleteResult(RaslResponse):
    """The result of deleting one contact or group; the response fields are undocumented.

    Attributes:
        id: The deleted object's id, filled in by the client.
    """

    id: int | None = None


class ContactFilter(ListFilter):
    """Filters of `list_contacts`. Each value is exact, a list, or `{operator: value}`.

    Operators: `gte`, `lte`, `gt`, `lt`, `ne`, `like`, `in`, `not_in`, `between`, `null`.

    Examples:
        >>> ContactFilter(type="lead", created_at={"gte": "2026-01-01"}).to_params()
        {'filter[type]': 'lead', 'filter[created_at][gte]': '2026-01-01'}
    """

    type: FilterValue | None = None
    status_id: FilterValue | None = None
    source_id: FilterValue | None = None
    assigned_id: FilterValue | None = None
    created_at: FilterValue | None = None
    group_id: FilterValue | None = None
