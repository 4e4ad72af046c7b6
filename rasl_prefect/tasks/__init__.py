"""Prefect tasks for the RASL WhatsApp API v2, one per endpoint, grouped by API area.

Every task takes a `RaslCredentials` block first and returns pydantic models. Read tasks retry
errors that the client marks retryable. Send and create tasks are never retried by Prefect.
Most of them are cached per flow run, so a retried flow run does not send twice.
"""

from rasl_prefect.tasks.account import get_account_info, get_plan_limits, get_usage_statistics
from rasl_prefect.tasks.contacts import (
    batch_create_contacts,
    batch_delete_contacts,
    create_contact,
    delete_contact,
    get_contact,
    list_contacts,
    update_contact,
)
from rasl_prefect.tasks.groups import (
    add_contacts_to_group,
    create_group,
    delete_group,
    get_group,
    list_groups,
    remove_contacts_from_group,
    update_group,
)
from rasl_prefect.tasks.listing import ItemList
from rasl_prefect.tasks.messages import (
    get_message,
    list_messages,
    send_interactive_message,
    send_media_message,
    send_template_message,
    send_text_message,
)
from rasl_prefect.tasks.otp import (
    check_otp_status,
    list_authentication_templates,
    resend_otp,
    send_otp,
    verify_otp,
)
from rasl_prefect.tasks.templates import get_template, list_templates, sync_templates

__all__ = [
    "ItemList",
    "add_contacts_to_group",
    "batch_create_contacts",
    "batch_delete_contacts",
    "check_otp_status",
    "create_contact",
    "create_group",
    "delete_contact",
    "delete_group",
    "get_account_info",
    "get_contact",
    "get_group",
    "get_message",
    "get_plan_limits",
    "get_template",
    "get_usage_statistics",
    "list_authentication_templates",
    "list_contacts",
    "list_groups",
    "list_messages",
    "list_templates",
    "remove_contacts_from_group",
    "resend_otp",
    "send_interactive_message",
    "send_media_message",
    "send_otp",
    "send_template_message",
    "send_text_message",
    "sync_templates",
    "update_contact",
    "update_group",
    "verify_otp",
]
