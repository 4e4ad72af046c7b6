"""Tasks that send WhatsApp messages and read the message history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.logging import get_logger, mask_phone
from rasl_prefect.models import MediaType, Message, Page, SentMessage
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.tasks.listing import ItemList
from rasl_prefect.tasks.policies import (
    READ_TASK_RETRIES,
    READ_TASK_RETRY_DELAYS_SECONDS,
    SIDE_EFFECT_CACHE_POLICY,
    require_scopes,
    retry_if_retryable,
)


def optional_path(path: str | None) -> Path | None:
    """Turn a task's file path parameter, a plain string for the Prefect UI, into a `Path`."""
    return Path(path) if path is not None else None


@task(
    name="send_text_message",
    description="Sends a free-form WhatsApp text message to one phone number.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def send_text_message(
    credentials: RaslCredentials,
    phone: str,
    message: str,
    contact_id: int | None = None,
) -> SentMessage:
    """Send a free-form text message (`POST /messages/text`).

    WhatsApp delivers it only within 24 hours of the recipient's last message to the
    business; outside that window send a template. Within one flow run, and across retries
    of that run, a second call with the same arguments returns the first result and sends
    nothing. A send that failed with `RaslOutcomeUnknownError` may have been delivered, and a
    flow retry sends it again, so check the message history before retrying such a run.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, such as `+966500000011`.
        message: At most 4096 characters; merge fields such as `@{contact_first_name}` work.
        contact_id: An existing contact, which skips the lookup and automatic contact creation.

    Returns:
        The sent message with its WhatsApp `message_id`.

    Examples:
        Send a text message from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import send_text_message

        @flow
        def confirm_order() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            send_text_message(credentials, phone="+966500000011", message="Your order shipped.")

        confirm_order()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.send_text_message(phone=phone, message=message, contact_id=contact_id)

    get_logger().info(
        "Sent text message %s to %s (contact %s)",
        sent.message_id,
        mask_phone(phone),
        sent.contact_id,
    )
    return sent


@task(
    name="send_media_message",
    description="Sends a WhatsApp image, document, video or audio message to one phone number.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def send_media_message(
    credentials: RaslCredentials,
    phone: str,
    media_type: MediaType,
    media_url: str | None = None,
    media_file: str | None = None,
    caption: str | None = None,
    filename: str | None = None,
    contact_id: int | None = None,
) -> SentMessage:
    """Send an image, document, video or audio message (`POST /messages/media`).

    Give the media as a public URL or as a local file, which is uploaded. Like text, media is
    delivered only within the 24-hour window. Repeated calls in one flow run return the first
    result, as for `send_text_message`. A local file enters that cache key by its path only,
    so a changed file at the same path is not sent again within the run.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, 10 to 15 characters.
        media_type: `image` (jpg, jpeg, png, webp; 5 MB), `document` (pdf, doc, docx, xls, xlsx,
            ppt, pptx, txt, csv; 100 MB), `video` (mp4, 3gp; 16 MB) or `audio` (mp3, ogg, amr,
            aac, opus; 16 MB).
        media_url: A public URL of the media; give this or `media_file`.
        media_file: A local file path to upload; its extension and size are checked first.
        caption: At most 1024 characters; not allowed for audio.
        filename: The display name of a document, at most 255 characters.
        contact_id: An existing contact.

    Returns:
        The sent message, with the `media_url` where the server stored the media.

    Examples:
        Send an invoice PDF from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import send_media_message

        @flow
        def send_invoice() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            send_media_message(
                credentials,
                phone="+966500000011",
                media_type="document",
                media_url="https://example.com/invoices/1042.pdf",
                filename="Invoice 1042.pdf",
            )

        send_invoice()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.send_media_message(
        phone=phone,
        media_type=media_type,
        media_url=media_url,
        media_file=optional_path(media_file),
        caption=caption,
        filename=filename,
        contact_id=contact_id,
    )

    get_logger().info(
        "Sent %s message %s to %s (contact %s)",
        media_type,
        sent.message_id,
        mask_phone(phone),
        sent.contact_id,
    )
    return sent


@task(
    name="send_template_message",
    description="Sends an approved WhatsApp template message to one phone number.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def send_template_message(
    credentials: RaslCredentials,
    phone: str,
    template_name: str,
    language: str,
    body: list[str] | None = None,
    header: str | None = None,
    buttons: list[str] | None = None,
    parameters: dict[str, str] | None = None,
    contact_id: int | None = None,
    header_image_url: str | None = None,
    header_image_file: str | None = None,
    header_video_url: str | None = None,
    header_video_file: str | None = None,
    header_document_url: str | None = None,
    header_document_file: str | None = None,
    header_document_name: str | None = None,
    auto_generate_otp: bool | None = None,
    otp_field_number: int | None = None,
) -> SentMessage:
    """Send an approved template (`POST /messages/template`), allowed outside the 24-hour window.

    Template values are flat fields: `body` fills `field_1`, `field_2`, ... in placeholder
    order, `header` fills a TEXT header's `header_field_1` and `buttons` fill `button_0` to
    `button_2`. Alternatively, pass the fields themselves as `parameters`. Repeated calls in
    one flow run return the first result, as for `send_text_message`. A header file enters
    that cache key by its path only, not its content.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, such as `+966500000011`.
        template_name: An APPROVED template.
        language: The template's language code, such as `en` or `ar`.
        body: Values of the body placeholders `{{1}}` to `{{10}}`, in order.
        header: The value of a TEXT header's `{{1}}`.
        buttons: Values of up to 3 dynamic URL buttons, in order.
        parameters: The flat fields, such as `{"field_1": "Sara"}`, instead of the three above.
        contact_id: An existing contact.
        header_image_url: The media of an IMAGE header, as a URL.
        header_image_file: The media of an IMAGE header, as a local file to upload (5 MB maximum).
        header_video_url: The media of a VIDEO header, as a URL.
        header_video_file: The media of a VIDEO header, as a local file (16 MB maximum).
        header_document_url: The media of a DOCUMENT header, as a URL.
        header_document_file: The media of a DOCUMENT header, as a local file (100 MB maximum).
        header_document_name: The display name of the header document.
        auto_generate_otp: For AUTHENTICATION templates, let the server generate the code.
        otp_field_number: Which `field_N` receives the generated code.

    Returns:
        The sent message.

    Examples:
        Send an order confirmation from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import send_template_message

        @flow
        def confirm_order() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            send_template_message(
                credentials,
                phone="+966500000011",
                template_name="order_confirmation",
                language="en",
                body=["Sara", "#1042", "Friday"],
            )

        confirm_order()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.send_template_message(
        phone=phone,
        template_name=template_name,
        language=language,
        body=body,
        header=header,
        buttons=buttons,
        parameters=parameters,
        contact_id=contact_id,
        header_image_url=header_image_url,
        header_image_file=optional_path(header_image_file),
        header_video_url=header_video_url,
        header_video_file=optional_path(header_video_file),
        header_document_url=header_document_url,
        header_document_file=optional_path(header_document_file),
        header_document_name=header_document_name,
        auto_generate_otp=auto_generate_otp,
        otp_field_number=otp_field_number,
    )

    get_logger().info(
        "Sent template %s (%s) message %s to %s (contact %s)",
        template_name,
        language,
        sent.message_id,
        mask_phone(phone),
        sent.contact_id,
    )
    return sent


@task(
    name="send_interactive_message",
    description="Sends WhatsApp quick-reply buttons or a list to one phone number.",
    retries=0,
    retry_condition_fn=retry_if_retryable,
    cache_policy=SIDE_EFFECT_CACHE_POLICY,
)
def send_interactive_message(
    credentials: RaslCredentials,
    phone: str,
    type: str,
    body_text: str,
    buttons: list[dict[str, Any]] | None = None,
    list_button_text: str | None = None,
    sections: list[dict[str, Any]] | None = None,
    header_text: str | None = None,
    footer_text: str | None = None,
    contact_id: int | None = None,
) -> SentMessage:
    """Send quick-reply buttons or a list (`POST /messages/interactive`).

    The API documents no way to receive the recipient's choice, so read it from the message
    history with `list_messages`. Repeated calls in one flow run return the first result, as
    for `send_text_message`.

    Args:
        credentials: The RASL block; the token needs `messages:send`.
        phone: The recipient with country code, such as `+966500000011`.
        type: `button` (needs `buttons`) or `list` (needs `list_button_text` and `sections`).
        body_text: At most 1024 characters.
        buttons: 1 to 3 buttons `{"id": ..., "title": ...}`, titles of at most 20 characters.
        list_button_text: The label of the button that opens the list, at most 20 characters.
        sections: 1 to 10 sections `{"title": ..., "rows": [{"id", "title", "description"}]}`;
            row titles have at most 24 characters and descriptions at most 72.
        header_text: At most 60 characters.
        footer_text: At most 60 characters.
        contact_id: An existing contact.

    Returns:
        The sent message.

    Examples:
        Ask a yes/no question from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import send_interactive_message

        @flow
        def ask_delivery_slot() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            send_interactive_message(
                credentials,
                phone="+966500000011",
                type="button",
                body_text="Can we deliver tomorrow morning?",
                buttons=[{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}],
            )

        ask_delivery_slot()
        ```
    """
    require_scopes(credentials, "messages:send")
    client = credentials.get_client()

    sent = client.send_interactive_message(
        phone=phone,
        type=type,
        body_text=body_text,
        buttons=buttons,
        list_button_text=list_button_text,
        sections=sections,
        header_text=header_text,
        footer_text=footer_text,
        contact_id=contact_id,
    )

    get_logger().info(
        "Sent interactive %s message %s to %s (contact %s)",
        type,
        sent.message_id,
        mask_phone(phone),
        sent.contact_id,
    )
    return sent


@task(
    name="list_messages",
    description="Lists the WhatsApp message history, newest first: every page, or one page.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def list_messages(
    credentials: RaslCredentials,
    page: int | None = None,
    per_page: int = MAX_PER_PAGE,
    sort: str | None = None,
    search: str | None = None,
    filter: dict[str, Any] | None = None,
) -> ItemList[Message] | Page[Message]:
    """List sent and received messages (`GET /messages`).

    Args:
        credentials: The RASL block; the token needs `messages:read`.
        page: One page to return, from 1; None reads every page.
        per_page: Messages per request, 1 to 100.
        sort: `created_at` or `updated_at`, `-` first for descending; comma-separated.
        search: A partial match on the message text.
        filter: Filters such as `{"direction": "inbound", "status": {"in": ["sent", "failed"]}}`
            on `type`, `status`, `interaction_id` and `direction`.

    Returns:
        Every message as an `ItemList` when `page` is None, else that `Page` with its
        pagination data.

    Examples:
        Read the inbound messages from a flow:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import list_messages

        @flow
        def read_replies() -> None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            replies = list_messages(credentials, filter={"direction": "inbound"})
            print(len(replies.items))

        read_replies()
        ```
    """
    require_scopes(credentials, "messages:read")
    client = credentials.get_client()
    query: dict[str, Any] = {"sort": sort, "search": search, "filter": filter}

    if page is not None:
        one_page = client.list_messages(page=page, per_page=per_page, **query)
        get_logger().info("Read %d messages on page %d", len(one_page.items), page)
        return one_page

    messages = ItemList[Message](items=list(client.iter_messages(per_page=per_page, **query)))
    get_logger().info("Read %d messages from every page", len(messages.items))
    return messages


@task(
    name="get_message",
    description="Reads one WhatsApp message record, with its delivery status.",
    retries=READ_TASK_RETRIES,
    retry_delay_seconds=READ_TASK_RETRY_DELAYS_SECONDS,
    retry_condition_fn=retry_if_retryable,
    cache_policy=NO_CACHE,
)
def get_message(credentials: RaslCredentials, message_id: int) -> Message:
    """Read one message record by its internal id (`GET /messages/{id}`).

    Args:
        credentials: The RASL block; the token needs `messages:read`.
        message_id: The integer `id` from `list_messages`, not the WhatsApp `message_id`.

    Returns:
        The message, with `status` (`sent`, `delivered`, `read` or `failed`) and `status_message`.

    Examples:
        Check whether a message was read:
        ```python
        from prefect import flow

        from rasl_prefect import RaslCredentials
        from rasl_prefect.tasks import get_message

        @flow
        def check_message() -> str | None:
            credentials = RaslCredentials.load("BLOCK_NAME")
            return get_message(credentials, message_id=1042).status

        check_message()
        ```
    """
    require_scopes(credentials, "messages:read")
    client = credentials.get_client()

    message = client.get_message(message_id)

    get_logger().info("Read message %s: status %s", message.id, message.status)
    return message
