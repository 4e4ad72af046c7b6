"""One request description per endpoint, shared by the synchronous and asynchronous clients.

Each builder validates its input and returns a `RequestSpec`: the method, path, query, body
and the parser of the response. The clients only send specs, so both behave the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from rasl_prefect.client.envelope import Parser, parse_object, parse_page
from rasl_prefect.exceptions import RaslValidationError
from rasl_prefect.models.account import AccountInfo, PlanLimits, UsageStatistics
from rasl_prefect.models.common import RaslRequest
from rasl_prefect.models.contacts import (
    BatchCreateContactsRequest,
    BatchCreateResult,
    BatchDeleteContactsRequest,
    BatchDeleteResult,
    Contact,
    ContactCreate,
    ContactUpdate,
    DeleteResult,
)
from rasl_prefect.models.groups import (
    Group,
    GroupMembershipChange,
    GroupMembersRequest,
    GroupRequest,
)
from rasl_prefect.models.messages import (
    Message,
    SendInteractiveRequest,
    SendMediaRequest,
    SendTemplateRequest,
    SendTextRequest,
    SentMessage,
)
from rasl_prefect.models.otp import (
    AuthenticationTemplate,
    OtpSent,
    OtpStatus,
    OtpStatusRequest,
    OtpVerification,
    ResendOtpRequest,
    SendOtpRequest,
    VerifyOtpRequest,
)
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.models.query import ListFilter, filter_params, sort_param
from rasl_prefect.models.templates import Template, TemplateSyncResult, build_template_parameters

ResultT = TypeVar("ResultT")
RequestT = TypeVar("RequestT", bound=RaslRequest)

LIST_MESSAGES_PATHS = ("/messages", "/messages/messages")
"""List Messages is documented at both paths; the first is tried, the second on a 404."""


@dataclass
class RequestSpec(Generic[ResultT]):
    """Everything a client needs to send one request and parse its response.

    Attributes:
        operation: The client method name, for logs.
        method: The HTTP method.
        path: The path after the base URL, with ids filled in.
        parse: Turns the decoded body and request id into the return value.
        params: Query parameters.
        json: A JSON body.
        form: Text fields of a multipart body.
        uploads: Files of a multipart body, by field name; opened anew for each attempt.
        fallback_path: A second path to try once when `path` returns 404.
    """

    operation: str
    method: str
    path: str
    parse: Parser[ResultT]
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    form: dict[str, str] | None = None
    uploads: dict[str, Path] = field(default_factory=dict)
    fallback_path: str | None = None

    @property
    def is_multipart(self) -> bool:
        """Whether the body is sent as multipart/form-data."""
        return self.form is not None


def resolve_request(
    model: type[RequestT], request: RequestT | None, fields: Mapping[str, Any]
) -> RequestT:
    """Return `request`, or validate `fields` into a new `model`; mixing both is an error."""
    given = {name: value for name, value in fields.items() if value is not None}
    if request is None:
        return model.build(**given)
    if given:
        raise RaslValidationError(
            f"pass either a {model.__name__} or keyword arguments, not both; "
            f"got both the model and {', '.join(sorted(given))}",
            field_errors={name: ["given together with a request model"] for name in given},
            code="CLIENT_VALIDATION_ERROR",
        )
    if not isinstance(request, model):
        raise RaslValidationError(
            f"request must be a {model.__name__}, got {type(request).__name__}",
            field_errors={"request": [f"expected {model.__name__}"]},
            code="CLIENT_VALIDATION_ERROR",
        )
    return request


def list_params(
    *,
    page: int,
    per_page: int,
    sort: str | Sequence[str] | None = None,
    search: str | None = None,
    fields: Sequence[str] | None = None,
    include: Sequence[str] | None = None,
    filters: ListFilter | Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """Build the query of a list endpoint, checking `page` and `per_page` first.

    Raises:
        RaslValidationError: `page` is below 1, `per_page` is outside 1 to 100, or a filter
            uses an unknown operator.
    """
    field_errors: dict[str, list[str]] = {}
    if page < 1:
        field_errors["page"] = [f"must be 1 or more, got {page}"]
    if not 1 <= per_page <= MAX_PER_PAGE:
        field_errors["per_page"] = [f"must be 1 to {MAX_PER_PAGE}, got {per_page}"]
    if field_errors:
        raise RaslValidationError(
            "Invalid list query, nothing was sent",
            field_errors=field_errors,
            code="CLIENT_VALIDATION_ERROR",
        )

    params = {"page": str(page), "per_page": str(per_page)}
    sort_value = sort_param(sort)
    if sort_value:
        params["sort"] = sort_value
    if search:
        params["search"] = search
    if fields:
        params["fields"] = ",".join(fields)
    if include:
        params["include"] = ",".join(include)
    if filters is not None:
        params.update(_filter_query(filters))
    return params


def _filter_query(filters: ListFilter | Mapping[str, Any]) -> dict[str, str]:
    if isinstance(filters, ListFilter):
        return filters.to_params()
    try:
        return filter_params(filters)
    except ValueError as error:
        raise RaslValidationError(
            f"Invalid filter, nothing was sent: {error}",
            field_errors={"filter": [str(error)]},
            code="CLIENT_VALIDATION_ERROR",
        ) from error


def _check_id(name: str, value: int | str) -> str:
    text = str(value).strip()
    if not text or "/" in text or "?" in text or "#" in text or text in (".", ".."):
        raise RaslValidationError(
            f"{name} {value!r} is not a valid id",
            field_errors={name: ["must be a non-empty id without '/', '?' or '#', not . or .."]},
            code="CLIENT_VALIDATION_ERROR",
        )
    # Percent-encode the id so that control characters, spaces or '%' make a valid URL path
    # segment; httpx raises InvalidURL for a raw control character.
    return quote(text, safe="")


# Messages


def send_text_message(request: SendTextRequest | None, **fields: Any) -> RequestSpec[SentMessage]:
    """Describe `POST /messages/text`."""
    body = resolve_request(SendTextRequest, request, fields)
    return RequestSpec(
        "send_text_message",
        "POST",
        "/messages/text",
        parse_object(SentMessage),
        json=body.to_body(),
    )


def send_media_message(request: SendMediaRequest | None, **fields: Any) -> RequestSpec[SentMessage]:
    """Describe `POST /messages/media`, always multipart/form-data."""
    body = resolve_request(SendMediaRequest, request, fields)
    uploads = {"media_file": body.media_file} if body.media_file is not None else {}
    return RequestSpec(
        "send_media_message",
        "POST",
        "/messages/media",
        parse_object(SentMessage),
        form=body.form_fields(),
        uploads=uploads,
    )


def send_template_message(
    request: SendTemplateRequest | None,
    *,
    parameters: Mapping[str, str] | None = None,
    body: Sequence[str] | Mapping[int, str] | None = None,
    header: str | None = None,
    buttons: Sequence[str] | Mapping[int, str] | None = None,
    body_params_count: int | None = None,
    **fields: Any,
) -> RequestSpec[SentMessage]:
    """Describe `POST /messages/template`: JSON, or multipart when a header file is uploaded."""
    merged = dict(fields)
    if (
        body is not None
        or header is not None
        or buttons is not None
        or body_params_count is not None
    ):
        merged.update(build_template_parameters(body, header, buttons, body_params_count))
    for name, value in (parameters or {}).items():
        if name in merged and merged[name] is not None and merged[name] != value:
            raise RaslValidationError(
                f"template parameter {name} is given twice with different values",
                field_errors={name: ["given twice with different values"]},
                code="CLIENT_VALIDATION_ERROR",
            )
        merged[name] = value
    template = resolve_request(SendTemplateRequest, request, merged)

    uploads = template.upload_files()
    if uploads:
        return RequestSpec(
            "send_template_message",
            "POST",
            "/messages/template",
            parse_object(SentMessage),
            form=template.form_fields(),
            uploads=uploads,
        )
    return RequestSpec(
        "send_template_message",
        "POST",
        "/messages/template",
        parse_object(SentMessage),
        json=template.to_body(),
    )


def send_interactive_message(
    request: SendInteractiveRequest | None, **fields: Any
) -> RequestSpec[SentMessage]:
    """Describe `POST /messages/interactive`."""
    body = resolve_request(SendInteractiveRequest, request, fields)
    return RequestSpec(
        "send_interactive_message",
        "POST",
        "/messages/interactive",
        parse_object(SentMessage),
        json=body.to_body(),
    )


def list_messages(*, page: int, per_page: int, **query: Any) -> RequestSpec[Any]:
    """Describe `GET /messages`, with `/messages/messages` as the fallback path."""
    return RequestSpec(
        "list_messages",
        "GET",
        LIST_MESSAGES_PATHS[0],
        parse_page(Message, page, per_page),
        params=list_params(page=page, per_page=per_page, **query),
        fallback_path=LIST_MESSAGES_PATHS[1],
    )


def get_message(message_id: int | str) -> RequestSpec[Message]:
    """Describe `GET /messages/{id}`."""
    return RequestSpec(
        "get_message",
        "GET",
        f"/messages/{_check_id('message_id', message_id)}",
        parse_object(Message),
    )


# OTP


def send_otp(request: SendOtpRequest | None, **fields: Any) -> RequestSpec[OtpSent]:
    """Describe `POST /auth/send-otp`."""
    body = resolve_request(SendOtpRequest, request, fields)
    return RequestSpec(
        "send_otp", "POST", "/auth/send-otp", parse_object(OtpSent), json=body.to_body()
    )


def verify_otp(request: VerifyOtpRequest | None, **fields: Any) -> RequestSpec[OtpVerification]:
    """Describe `POST /auth/verify`."""
    body = resolve_request(VerifyOtpRequest, request, fields)
    return RequestSpec(
        "verify_otp", "POST", "/auth/verify", parse_object(OtpVerification), json=body.to_body()
    )


def resend_otp(request: ResendOtpRequest | None, **fields: Any) -> RequestSpec[OtpSent]:
    """Describe `POST /auth/resend`."""
    body = resolve_request(ResendOtpRequest, request, fields)
    return RequestSpec(
        "resend_otp", "POST", "/auth/resend", parse_object(OtpSent), json=body.to_body()
    )


def check_otp_status(request: OtpStatusRequest | None, **fields: Any) -> RequestSpec[OtpStatus]:
    """Describe `POST /auth/status`."""
    body = resolve_request(OtpStatusRequest, request, fields)
    return RequestSpec(
        "check_otp_status", "POST", "/auth/status", parse_object(OtpStatus), json=body.to_body()
    )


def list_authentication_templates(*, page: int, per_page: int, **query: Any) -> RequestSpec[Any]:
    """Describe `GET /auth/templates`."""
    return RequestSpec(
        "list_authentication_templates",
        "GET",
        "/auth/templates",
        parse_page(AuthenticationTemplate, page, per_page),
        params=list_params(page=page, per_page=per_page, **query),
    )


# Templates


def list_templates(*, page: int, per_page: int, **query: Any) -> RequestSpec[Any]:
    """Describe `GET /templates`."""
    return RequestSpec(
        "list_templates",
        "GET",
        "/templates",
        parse_page(Template, page, per_page),
        params=list_params(page=page, per_page=per_page, **query),
    )


def get_template(template_id: str) -> RequestSpec[Template]:
    """Describe `GET /templates/{template_id}`, which takes the WhatsApp template id."""
    return RequestSpec(
        "get_template",
        "GET",
        f"/templates/{_check_id('template_id', template_id)}",
        parse_object(Template),
    )


def sync_templates() -> RequestSpec[TemplateSyncResult]:
    """Describe `POST /templates/sync`."""
    return RequestSpec(
        "sync_templates", "POST", "/templates/sync", parse_object(TemplateSyncResult)
    )


# Contacts


def list_contacts(*, page: int, per_page: int, **query: Any) -> RequestSpec[Any]:
    """Describe `GET /contacts`."""
    return RequestSpec(
        "list_contacts",
        "GET",
        "/contacts",
        parse_page(Contact, page, per_page),
        params=list_params(page=page, per_page=per_page, **query),
    )


def create_contact(request: ContactCreate | None, **fields: Any) -> RequestSpec[Contact]:
    """Describe `POST /contacts`."""
    body = resolve_request(ContactCreate, request, fields)
    return RequestSpec(
        "create_contact", "POST", "/contacts", parse_object(Contact), json=body.to_body()
    )


def get_contact(contact_id: int, include: Sequence[str] | None = None) -> RequestSpec[Contact]:
    """Describe `GET /contacts/{id}`."""
    params = {"include": ",".join(include)} if include else {}
    return RequestSpec(
        "get_contact",
        "GET",
        f"/contacts/{_check_id('contact_id', contact_id)}",
        parse_object(Contact),
        params=params,
    )


def update_contact(
    contact_id: int, request: ContactUpdate | None, **fields: Any
) -> RequestSpec[Contact]:
    """Describe `PATCH /contacts/{id}` with only the fields to change."""
    body = resolve_request(ContactUpdate, request, fields).to_body()
    if not body:
        raise RaslValidationError(
            "update_contact needs at least one field to change",
            field_errors={"request": ["no fields to change"]},
            code="CLIENT_VALIDATION_ERROR",
        )
    return RequestSpec(
        "update_contact",
        "PATCH",
        f"/contacts/{_check_id('contact_id', contact_id)}",
        parse_object(Contact),
        json=body,
    )


def delete_contact(contact_id: int) -> RequestSpec[DeleteResult]:
    """Describe `DELETE /contacts/{id}`."""
    path_id = _check_id("contact_id", contact_id)
    return RequestSpec(
        "delete_contact",
        "DELETE",
        f"/contacts/{path_id}",
        parse_object(DeleteResult, id=contact_id),
    )


def batch_create_contacts(
    contacts: Sequence[ContactCreate | Mapping[str, Any]],
    *,
    continue_on_error: bool | None = None,
    skip_duplicates: bool | None = None,
) -> RequestSpec[BatchCreateResult]:
    """Describe `POST /contacts/batch`."""
    options = {"continue_on_error": continue_on_error, "skip_duplicates": skip_duplicates}
    options = {name: value for name, value in options.items() if value is not None}
    raw_contacts = [
        contact.model_dump(exclude_none=True)
        if isinstance(contact, ContactCreate)
        else dict(contact)
        for contact in contacts
    ]
    body = BatchCreateContactsRequest.build(contacts=raw_contacts, options=options or None)
    return RequestSpec(
        "batch_create_contacts",
        "POST",
        "/contacts/batch",
        parse_object(BatchCreateResult),
        json=body.to_body(),
    )


def batch_delete_contacts(ids: Sequence[int]) -> RequestSpec[BatchDeleteResult]:
    """Describe `DELETE /contacts/batch` with a JSON body."""
    body = BatchDeleteContactsRequest.build(ids=list(ids))
    return RequestSpec(
        "batch_delete_contacts",
        "DELETE",
        "/contacts/batch",
        parse_object(BatchDeleteResult),
        json=body.to_body(),
    )


# Groups


def list_groups(*, page: int, per_page: int, **query: Any) -> RequestSpec[Any]:
    """Describe `GET /groups`."""
    return RequestSpec(
        "list_groups",
        "GET",
        "/groups",
        parse_page(Group, page, per_page),
        params=list_params(page=page, per_page=per_page, **query),
    )


def create_group(name: str) -> RequestSpec[Group]:
    """Describe `POST /groups`."""
    body = GroupRequest.build(name=name)
    return RequestSpec("create_group", "POST", "/groups", parse_object(Group), json=body.to_body())


def get_group(group_id: int) -> RequestSpec[Group]:
    """Describe `GET /groups/{id}`."""
    return RequestSpec(
        "get_group", "GET", f"/groups/{_check_id('group_id', group_id)}", parse_object(Group)
    )


def update_group(group_id: int, name: str) -> RequestSpec[Group]:
    """Describe `PATCH /groups/{id}`."""
    body = GroupRequest.build(name=name)
    return RequestSpec(
        "update_group",
        "PATCH",
        f"/groups/{_check_id('group_id', group_id)}",
        parse_object(Group),
        json=body.to_body(),
    )


def delete_group(group_id: int) -> RequestSpec[DeleteResult]:
    """Describe `DELETE /groups/{id}`."""
    path_id = _check_id("group_id", group_id)
    return RequestSpec(
        "delete_group", "DELETE", f"/groups/{path_id}", parse_object(DeleteResult, id=group_id)
    )


def add_contacts_to_group(
    group_id: int, contact_ids: Sequence[int]
) -> RequestSpec[GroupMembershipChange]:
    """Describe `POST /groups/{id}/contacts`."""
    body = GroupMembersRequest.build(contact_ids=list(contact_ids))
    return RequestSpec(
        "add_contacts_to_group",
        "POST",
        f"/groups/{_check_id('group_id', group_id)}/contacts",
        parse_object(GroupMembershipChange, group_id=group_id),
        json=body.to_body(),
    )


def remove_contacts_from_group(
    group_id: int, contact_ids: Sequence[int]
) -> RequestSpec[GroupMembershipChange]:
    """Describe `DELETE /groups/{id}/contacts` with a JSON body."""
    body = GroupMembersRequest.build(contact_ids=list(contact_ids))
    return RequestSpec(
        "remove_contacts_from_group",
        "DELETE",
        f"/groups/{_check_id('group_id', group_id)}/contacts",
        parse_object(GroupMembershipChange, group_id=group_id),
        json=body.to_body(),
    )


# Account


def get_account_info() -> RequestSpec[AccountInfo]:
    """Describe `GET /account`."""
    return RequestSpec("get_account_info", "GET", "/account", parse_object(AccountInfo))


def get_usage_statistics() -> RequestSpec[UsageStatistics]:
    """Describe `GET /account/usage`."""
    return RequestSpec(
        "get_usage_statistics", "GET", "/account/usage", parse_object(UsageStatistics)
    )


def get_plan_limits() -> RequestSpec[PlanLimits]:
    """Describe `GET /account/limits`."""
    return RequestSpec("get_plan_limits", "GET", "/account/limits", parse_object(PlanLimits))
