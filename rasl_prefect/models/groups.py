"""Contact groups and their membership."""

from __future__ import annotations

from pydantic import Field

from rasl_prefect.models.common import RaslRequest, RaslResponse, Timestamp


class GroupRequest(RaslRequest):
    """Body of `POST /groups` and `PATCH /groups/{id}`.

    Attributes:
        name: At most 255 characters, unique per account.
    """

    name: str = Field(min_length=1, max_length=255)


class GroupMembersRequest(RaslRequest):
    """Body of adding or removing group members: at least one contact id."""

    contact_ids: list[int] = Field(min_length=1)


class Group(RaslResponse):
    """A contact group."""

    id: int | None = None
    name: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class GroupMembershipChange(RaslResponse):
    """The result of adding or removing group members.

    Attributes:
        group_id: The group.
        contacts_added: Contacts newly added; members already in the group are not counted.
        contacts_removed: Contacts removed; contacts not in the group are not counted.
    """

    group_id: int | None = None
    contacts_added: int | None = None
    contacts_removed: int | None = None
