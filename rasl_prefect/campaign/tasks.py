"""Prefect tasks of a template campaign: one task run per chunk of contacts.

A Prefect task run costs about 5 to 10 ms (measured on 2 cores with Prefect 3), and the server
falls behind recording thousands of them. So each task run handles a whole chunk (100 contacts
by default): batch-create, add to the group and send. The sends overlap on a small thread pool
and the client paces them.

A chunk task's result is persisted under a key made of the campaign id and the chunk's content,
so a retried flow run, or a new run of the same campaign, skips chunks that finished. Inside a
chunk that was interrupted, the send ledger decides message by message.
"""

from __future__ import annotations

import hashlib
from typing import Any

from prefect import task
from prefect.context import TaskRunContext, get_run_context
from prefect.exceptions import MissingContextError
from pydantic import BaseModel, Field

from rasl_prefect.campaign.contacts import NewContact, create_contacts, find_existing_contacts
from rasl_prefect.campaign.ledger import SendLedger
from rasl_prefect.campaign.models import Recipient, SendOutcome
from rasl_prefect.campaign.repeat import repeat_idempotent
from rasl_prefect.campaign.report import RejectedRowReport
from rasl_prefect.campaign.sender import DEFAULT_SEND_CONCURRENCY, TemplateSender
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger, mask_phone


class CampaignSettings(BaseModel):
    """Settings shared by every chunk of a campaign."""

    campaign_id: str = Field(description="The campaign id; one message per contact per campaign.")
    template_name: str = Field(description="The APPROVED template to send.")
    language: str = Field(description="The template language.")
    group_id: int | None = Field(default=None, description="The group contacts are added to.")
    source_id: int | None = Field(default=None, description="The RASL source of new contacts.")
    status_id: int | None = Field(default=None, description="The RASL status of new contacts.")
    contact_type: str = Field(default="lead", description="`lead`, `customer` or `guest`.")
    send_concurrency: int = Field(
        default=DEFAULT_SEND_CONCURRENCY, ge=1, le=32, description="Sends in flight at once."
    )


class ChunkContact(BaseModel):
    """A contact of a chunk, with its template parameters resolved."""

    line_number: int | None = None
    phone: str
    firstname: str = ""
    lastname: str = ""
    email: str = ""
    company: str = ""
    parameters: list[str] = Field(default_factory=list)
    consented: bool = True


class ContactChunk(BaseModel):
    """Up to `batch_size` contacts handled by one task run."""

    index: int
    contacts: list[ChunkContact]

    def content_hash(self) -> str:
        """Return a hash of the chunk's contacts, stable across runs."""
        return hashlib.sha256(self.model_dump_json(exclude={"index"}).encode()).hexdigest()[:32]


class ChunkResult(BaseModel):
    """The counts and message outcomes of one chunk task."""

    index: int
    contacts_created: int = 0
    contacts_existing: int = 0
    contacts_added_to_group: int = 0
    contacts_not_created: list[RejectedRowReport] = Field(default_factory=list)
    plan_limit_reached: bool = False
    outcomes: list[SendOutcome] = Field(default_factory=list)

    def as_replayed(self) -> ChunkResult:
        """Return this result as seen by a later run that found it in Prefect's cache.

        Nothing was created, added or sent again: created contacts now exist, and sent
        messages count as already sent.
        """
        outcomes = [
            outcome.model_copy(update={"status": "already_sent"})
            if outcome.status == "sent"
            else outcome
            for outcome in self.outcomes
        ]
        return self.model_copy(
            update={
                "contacts_created": 0,
                "contacts_existing": self.contacts_created + self.contacts_existing,
                "contacts_added_to_group": 0,
                "outcomes": outcomes,
            }
        )


def _chunk_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    settings: CampaignSettings = parameters["settings"]
    chunk: ContactChunk = parameters["chunk"]
    create = "create" if parameters.get("create_contacts", True) else "existing"
    return f"rasl-campaign-{settings.campaign_id}-{create}-{chunk.content_hash()}"


def current_flow_run_id() -> str | None:
    """Return the id of the flow run the current task run belongs to, or None outside one."""
    try:
        context = get_run_context()
    except MissingContextError:
        return None
    task_run = getattr(context, "task_run", None)
    if task_run is None or task_run.flow_run_id is None:
        return None
    return str(task_run.flow_run_id)


@task(
    name="Import contacts and send the template",
    description="Batch-create a chunk of contacts, add them to the group and message them once.",
    cache_key_fn=_chunk_cache_key,
    persist_result=True,
    result_serializer="json",
    task_run_name="chunk-{chunk.index}",
)
def import_contact_chunk(
    credentials: RaslCredentials,
    chunk: ContactChunk,
    settings: CampaignSettings,
    create_contacts: bool = True,
) -> ChunkResult:
    """Batch-create a chunk's contacts, add them to the group, and send the template once each.

    Args:
        credentials: The RASL credentials.
        chunk: The contacts, at most 100.
        settings: The campaign settings.
        create_contacts: False after the plan's contact limit was reached: contacts that
            already exist are then grouped and messaged, and the others reported as not created.

    Returns:
        The counts and the outcome of every message.
    """
    logger = get_logger()
    client = credentials.get_client()
    result = ChunkResult(index=chunk.index)

    if create_contacts:
        created = create_contacts_for_chunk(credentials, chunk, settings)
    else:
        created = find_existing_contacts(
            client,
            [NewContact(phone=contact.phone) for contact in chunk.contacts],
            reason="the plan's contact limit was reached earlier",
        )
    result.contacts_created = created.created
    result.contacts_existing = created.existing
    result.plan_limit_reached = created.plan_limit_reached
    by_phone = {contact.phone: contact for contact in chunk.contacts}
    for phone, reason in created.failed.items():
        contact = by_phone[phone]
        result.contacts_not_created.append(
            RejectedRowReport(
                line_number=contact.line_number or 0,
                reason=f"contact not created: {reason}",
                masked_phone=mask_phone(phone),
            )
        )

    member_ids = [
        created.ids_by_phone[c.phone] for c in chunk.contacts if c.phone in created.ids_by_phone
    ]
    group_id = settings.group_id
    if group_id is not None and member_ids:
        # Adding members is safe to repeat, because RASL skips contacts already in the group.
        change = repeat_idempotent(
            lambda: client.add_contacts_to_group(group_id, member_ids),
            description=f"Adding {len(member_ids)} contacts to group {group_id}",
        )
        result.contacts_added_to_group = change.contacts_added or 0

    recipients = []
    for contact in chunk.contacts:
        contact_id = created.ids_by_phone.get(contact.phone)
        if contact_id is None:
            continue
        if not contact.consented:
            result.outcomes.append(
                SendOutcome(
                    message_key="",
                    status="not_consented",
                    masked_phone=mask_phone(contact.phone),
                    contact_id=contact_id,
                    line_number=contact.line_number,
                )
            )
            continue
        recipients.append(
            Recipient(
                phone=contact.phone,
                contact_id=contact_id,
                parameters=contact.parameters,
                line_number=contact.line_number,
            )
        )

    sender = TemplateSender(
        client,
        SendLedger(settings.campaign_id),
        template_name=settings.template_name,
        language=settings.language,
        max_workers=settings.send_concurrency,
        flow_run_id=current_flow_run_id(),
    )
    result.outcomes.extend(sender.send_all(recipients))

    logger.info(
        "Chunk %d: %d contacts created, %d existing, %d added to group %s, %d messages handled",
        chunk.index,
        result.contacts_created,
        result.contacts_existing,
        result.contacts_added_to_group,
        settings.group_id,
        len(recipients),
    )
    return result


def create_contacts_for_chunk(
    credentials: RaslCredentials, chunk: ContactChunk, settings: CampaignSettings
) -> Any:
    """Batch-create the chunk's contacts with the campaign's source, status and type."""
    if settings.source_id is None or settings.status_id is None:
        raise ValueError(
            "source_id and status_id are required to create contacts; find them in the RASL "
            "dashboard (contacts need an existing source and status)."
        )
    contacts = [
        NewContact(
            phone=contact.phone,
            firstname=contact.firstname,
            lastname=contact.lastname,
            email=contact.email,
            company=contact.company,
            line_number=contact.line_number,
        )
        for contact in chunk.contacts
    ]
    return create_contacts(
        credentials.get_client(),
        contacts,
        source_id=settings.source_id,
        status_id=settings.status_id,
        contact_type=settings.contact_type,
    )


def _recipients_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    settings: CampaignSettings = parameters["settings"]
    recipients: list[Recipient] = parameters["recipients"]
    material = "".join(recipient.model_dump_json() for recipient in recipients)
    digest = hashlib.sha256(material.encode()).hexdigest()[:32]
    return f"rasl-campaign-{settings.campaign_id}-send-{digest}"


@task(
    name="Send the template to recipients",
    description="Send an approved template to recipients, each at most once per campaign.",
    cache_key_fn=_recipients_cache_key,
    persist_result=True,
    result_serializer="json",
)
def send_template_to_recipients(
    credentials: RaslCredentials, recipients: list[Recipient], settings: CampaignSettings
) -> list[SendOutcome]:
    """Send the campaign's template to each recipient at most once per campaign.

    Args:
        credentials: The RASL credentials.
        recipients: Up to a few hundred recipients with their template parameters.
        settings: The campaign settings (the group and contact fields are not used).

    Returns:
        One outcome per recipient, in order.
    """
    sender = TemplateSender(
        credentials.get_client(),
        SendLedger(settings.campaign_id),
        template_name=settings.template_name,
        language=settings.language,
        max_workers=settings.send_concurrency,
        flow_run_id=current_flow_run_id(),
    )
    outcomes = sender.send_all(recipients)
    get_logger().info("Campaign %s: %d recipients handled", settings.campaign_id, len(outcomes))
    return outcomes
