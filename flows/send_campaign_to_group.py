"""Send an approved template to every member of an existing group, each at most once.

It shares the send ledger of `csv_import`. Every message has a key made of the campaign id,
the phone, the template, the language and the values, so a re-run of the same campaign sends
only what was not sent before. The ledger lives in Prefect's result storage, so runs on other
machines share the guarantee only when that storage is shared (an S3 or GCS block, say).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, cast

from prefect import flow, runtime
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign import (
    MERGE_FIELDS,
    CampaignSettings,
    FailedSendReport,
    Recipient,
    SendOutcome,
    check_scopes,
    check_template_fields,
    derive_campaign_id,
    find_approved_template,
    send_template_to_recipients,
)
from rasl_prefect.campaign.ledger import check_campaign_id
from rasl_prefect.campaign.preflight import is_merge_field
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.models import Contact, Group
from rasl_prefect.tasks import list_contacts, list_groups

GROUP_CAMPAIGN_SCOPES = ["contacts:read", "groups:read", "templates:read", "messages:send"]
"""Scopes the flow needs: list members, find the group, check the template, send."""

RECIPIENTS_PER_TASK = 100
"""Recipients per send task run; the sends inside one run overlap on a few threads."""

MAX_LISTED_PROBLEMS = 1000
"""Skipped members and failed sends listed one by one; the counts stay exact."""


class SkippedMember(BaseModel):
    """A group member who was not messaged, and why."""

    contact_id: int | None = Field(default=None, description="The RASL contact id.")
    masked_phone: str = Field(default="", description="The phone with all but 4 digits masked.")
    reason: str = Field(description="Why no message was sent.")


class GroupCampaignReport(BaseModel):
    """The counts, skipped members and failed sends of a `send_campaign_to_group` run."""

    campaign_id: str = Field(description="The campaign; each member gets one message per id.")
    group_id: int = Field(description="The group whose members were messaged.")
    template_name: str = Field(description="The template sent.")
    language: str = Field(description="The template's language.")
    members: int = Field(default=0, description="Members of the group.")
    skipped: int = Field(default=0, description="Members not messaged (opted out, no value).")
    messages_sent: int = 0
    messages_already_sent: int = Field(
        default=0, description="Members this campaign had messaged in an earlier run."
    )
    messages_failed: int = 0
    messages_unknown: int = Field(
        default=0, description="Sends whose outcome is unknown; they are never repeated."
    )
    skipped_members: list[SkippedMember] = Field(default_factory=list)
    failed_sends: list[FailedSendReport] = Field(default_factory=list)


def default_campaign_id(group_id: int, template_name: str, language: str, fields: list[str]) -> str:
    """Derive the campaign id from the group, template, language, values and UTC day.

    The day is that of the run's scheduled start, so a retry or a late start of the same
    scheduled run stays the same campaign, and the next day's run is a new one.
    """
    scheduled = runtime.flow_run.scheduled_start_time
    day = (scheduled or datetime.now(timezone.utc)).astimezone(timezone.utc).date().isoformat()
    return derive_campaign_id("group", str(group_id), template_name, language, *fields, day)


def find_group_id(credentials: RaslCredentials, group_name: str) -> int:
    """Return the id of the group named exactly `group_name`.

    Raises:
        ValueError: No group has that name.
    """
    groups: list[Group] = list_groups(credentials, search=group_name).items
    for group in groups:
        if group.name == group_name and group.id is not None:
            return int(group.id)
    raise ValueError(
        f"group {group_name!r} was not found in RASL; check the name, or pass group_id."
    )


def missing_merge_value(contact: Contact, fields: list[str]) -> str | None:
    """Return the first merge field that would be empty for the contact, else None."""
    for field in fields:
        if is_merge_field(field) and not getattr(contact, MERGE_FIELDS[field], None):
            return field
    return None


@flow(
    name="send-campaign-to-group",
    description="Send an approved template to every member of a RASL group, each once.",
)
def send_campaign_to_group(
    credentials: RaslCredentials,
    template_name: Annotated[str, Field(min_length=1)],
    group_id: Annotated[int | None, Field(ge=1)] = None,
    group_name: Annotated[str | None, Field(min_length=1, max_length=255)] = None,
    language: Annotated[str, Field(min_length=2, max_length=10)] = "en",
    template_fields: list[str] | None = None,
    campaign_id: Annotated[str | None, Field(min_length=1, max_length=120)] = None,
    retry_failed_sends: bool = False,
) -> GroupCampaignReport:
    """Send a template to each member of a group, at most once per member and campaign.

    Opted-out members are skipped, and so are members for whom a merge field would be empty.

    Args:
        credentials: The RASL credentials block of a token with `contacts:read`,
            `groups:read`, `templates:read` and `messages:send`.
        template_name: The APPROVED template to send.
        group_id: The group's id; give this or `group_name`.
        group_name: The group's exact name, looked up when `group_id` is not given.
        language: The template's language code, such as `en` or `ar`.
        template_fields: The template's body values in order: RASL merge fields such as
            `@{contact_first_name}`, filled by RASL for each member, or fixed text.
        campaign_id: The campaign's id; each member gets at most one message per campaign.
            Defaults to an id derived from the group, template, language, values and the UTC
            day of the run's scheduled start: re-running it the same day sends nothing twice,
            and the next day is a new campaign. Pass the id from an earlier report to finish
            that campaign on another day.
        retry_failed_sends: Send again the messages of this campaign that failed in a way
            that provably had no effect, such as a rate limit or a 4xx answer.

    Returns:
        The counts, the skipped members and the failed sends, with masked phones.
    """
    logger = get_logger()
    fields = list(template_fields or [])

    check_template_fields(fields)
    check_scopes(credentials, GROUP_CAMPAIGN_SCOPES)
    if group_id is None and not group_name:
        raise ValueError("Give group_id or group_name to choose the group to message.")

    gid = group_id if group_id is not None else find_group_id(credentials, cast(str, group_name))
    campaign = campaign_id or default_campaign_id(gid, template_name, language, fields)
    check_campaign_id(campaign)
    find_approved_template(credentials.get_client(), template_name, language, len(fields))

    report = GroupCampaignReport(
        campaign_id=campaign, group_id=gid, template_name=template_name, language=language
    )
    members: list[Contact] = list_contacts(credentials, sort="id", filter={"group_id": gid}).items
    report.members = len(members)
    recipients = choose_recipients(report, members, fields)

    settings = CampaignSettings(
        campaign_id=campaign, template_name=template_name, language=language
    )
    send_task = send_template_to_recipients.with_options(refresh_cache=retry_failed_sends)
    for start in range(0, len(recipients), RECIPIENTS_PER_TASK):
        batch = recipients[start : start + RECIPIENTS_PER_TASK]
        state = send_task(credentials, batch, settings, return_state=True)
        for outcome in state.result():
            # A batch that an earlier run of the campaign finished comes from Prefect's cache
            # and sends nothing, so its messages count as already sent.
            if state.name == "Cached" and outcome.status == "sent":
                outcome = outcome.model_copy(update={"status": "already_sent"})
            count_outcome(report, outcome)

    publish_report(report)
    logger.info(
        "Campaign %s to group %s: %d members, %d skipped, %d sent, %d already sent, "
        "%d failed, %d unknown",
        campaign,
        gid,
        report.members,
        report.skipped,
        report.messages_sent,
        report.messages_already_sent,
        report.messages_failed,
        report.messages_unknown,
    )
    return report


def choose_recipients(
    report: GroupCampaignReport, members: list[Contact], fields: list[str]
) -> list[Recipient]:
    """Return the members to message, recording the skipped ones in the report."""
    recipients: list[Recipient] = []
    for contact in members:
        missing = missing_merge_value(contact, fields)
        if contact.is_opted_out:
            reason = "opted out of messages"
        elif not contact.phone:
            reason = "no phone number"
        elif missing:
            reason = f"template field {missing} would be empty"
        else:
            recipients.append(
                Recipient(phone=contact.phone, contact_id=contact.id, parameters=fields)
            )
            continue

        report.skipped += 1
        if len(report.skipped_members) < MAX_LISTED_PROBLEMS:
            report.skipped_members.append(
                SkippedMember(
                    contact_id=contact.id, masked_phone=mask_phone(contact.phone), reason=reason
                )
            )
    return recipients


def count_outcome(report: GroupCampaignReport, outcome: SendOutcome) -> None:
    """Count one send outcome and list it when it failed or is unknown."""
    status = outcome.status
    if status == "sent":
        report.messages_sent += 1
    elif status == "already_sent":
        report.messages_already_sent += 1
    elif status in ("failed", "unknown"):
        if status == "failed":
            report.messages_failed += 1
        else:
            report.messages_unknown += 1
        if len(report.failed_sends) < MAX_LISTED_PROBLEMS:
            report.failed_sends.append(
                FailedSendReport(
                    masked_phone=outcome.masked_phone,
                    status=status,
                    error_code=outcome.error_code,
                    reason=outcome.reason,
                )
            )


def publish_report(report: GroupCampaignReport) -> None:
    """Create the table artifact of skipped members and failed sends, and a summary."""
    rows = [
        {"phone": member.masked_phone, "problem": "skipped", "code": "", "reason": member.reason}
        for member in report.skipped_members
    ]
    rows += [
        {
            "phone": send.masked_phone,
            "problem": f"send {send.status}",
            "code": send.error_code or "",
            "reason": send.reason or "",
        }
        for send in report.failed_sends
    ]
    create_table_artifact(
        key="group-campaign-problems",
        table=rows,
        description=f"Skipped members and failed sends of campaign {report.campaign_id}",
    )

    lines = [
        f"# Campaign `{report.campaign_id}` to group {report.group_id}",
        "",
        f"Template `{report.template_name}` ({report.language}).",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| group members | {report.members} |",
        f"| members skipped | {report.skipped} |",
        f"| messages sent | {report.messages_sent} |",
        f"| messages already sent by this campaign | {report.messages_already_sent} |",
        f"| messages failed | {report.messages_failed} |",
        f"| messages with unknown outcome (not retried) | {report.messages_unknown} |",
    ]
    create_markdown_artifact(
        key="group-campaign-summary",
        markdown="\n".join(lines),
        description=f"Summary of campaign {report.campaign_id}",
    )
