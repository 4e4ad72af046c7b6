"""Message sends (text, media, template, interactive) and message history."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from rasl_prefect.models.common import RaslRequest, RaslResponse, Timestamp, check_phone
from rasl_prefect.models.query import FilterValue, ListFilter

MediaType = Literal["image", "document", "video", "audio"]

MEGABYTE = 1024 * 1024

MEDIA_RULES: dict[str, tuple[frozenset[str], int]] = {
    "image": (frozenset({"jpg", "jpeg", "png", "webp"}), 5 * MEGABYTE),
    "document": (
        frozenset({"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv"}),
        100 * MEGABYTE,
    ),
    "video": (frozenset({"mp4", "3gp"}), 16 * MEGABYTE),
    "audio": (frozenset({"mp3", "ogg", "amr", "aac", "opus"}), 16 * MEGABYTE),
}
"""Allowed file extensions and maximum size in bytes for each media type."""


def check_media_file(media_type: str, path: str | os.PathLike[str], field: str) -> None:
    """Check a local media file's extension and size against the limits of its media type.

    Args:
        media_type: `image`, `document`, `video` or `audio`.
        path: The local file.
        field: The request field named in errors.

    Raises:
        ValueError: The file is missing, its extension is not allowed or it is too large.
    """
    extensions, max_bytes = MEDIA_RULES[media_type]
    file_path = Path(path)
    if not file_path.is_file():
        raise ValueError(f"{field} {str(file_path)!r} is not a readable file")
    extension = file_path.suffix.lower().lstrip(".")
    if extension not in extensions:
        raise ValueError(
            f"{field} has extension {extension!r}, but {media_type} allows only "
            f"{', '.join(sorted(extensions))}"
        )
    size = file_path.stat().st_size
    if size > max_bytes:
        raise ValueError(
            f"{field} is {size} bytes, over the {max_bytes // MEGABYTE} MB maximum for {media_type}"
        )


def check_media_url_extension(media_type: str, url: str, field: str) -> None:
    """Check the extension of a media URL's path, when it has one, against its media type."""
    path = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    if "." not in path:
        return
    extensions, _ = MEDIA_RULES[media_type]
    extension = path.rsplit(".", 1)[-1].lower()
    if extension not in extensions:
        raise ValueError(
            f"{field} ends in {extension!r}, but {media_type} allows only "
            f"{', '.join(sorted(extensions))}"
        )


class SendTextRequest(RaslRequest):
    """Body of `POST /messages/text`.

    Attributes:
        phone: Recipient with country code, 10 to 20 characters.
        message: Text of at most 4096 characters; merge fields such as
            `@{contact_first_name}` are allowed.
        contact_id: An existing contact, which skips the lookup and automatic contact creation.
    """

    phone: str
    message: str = Field(min_length=1, max_length=4096)
    contact_id: int | None = None

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value)


class SendMediaRequest(RaslRequest):
    """Fields of `POST /messages/media`, sent as multipart/form-data.

    Give exactly one of `media_url` and `media_file` (a local path that is uploaded).

    Attributes:
        phone: Recipient with country code, 10 to 15 characters.
        media_type: `image`, `document`, `video` or `audio`.
        media_url: A public URL of the media.
        media_file: A local file to upload; its extension and size are checked.
        caption: At most 1024 characters; not allowed for audio.
        filename: Display name of a document, at most 255 characters.
        contact_id: An existing contact.
    """

    phone: str
    media_type: MediaType
    media_url: str | None = None
    media_file: Path | None = None
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = Field(default=None, max_length=255)
    contact_id: int | None = None

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value, max_length=15)

    @model_validator(mode="after")
    def _check_media(self) -> SendMediaRequest:
        if (self.media_url is None) == (self.media_file is None):
            raise ValueError("give exactly one of media_url and media_file")
        if self.caption is not None and self.media_type == "audio":
            raise ValueError("caption is not supported for audio; remove it")
        if self.media_file is not None:
            check_media_file(self.media_type, self.media_file, "media_file")
        if self.media_url is not None:
            if not self.media_url.startswith(("http://", "https://")):
                raise ValueError("media_url must start with http:// or https://")
            check_media_url_extension(self.media_type, self.media_url, "media_url")
        return self

    def form_fields(self) -> dict[str, str]:
        """Return the text fields of the multipart body (everything except the file)."""
        return {
            name: str(value)
            for name, value in self.model_dump(exclude_none=True, exclude={"media_file"}).items()
        }


TEMPLATE_HEADER_MEDIA = {
    "header_image": "image",
    "header_video": "video",
    "header_document": "document",
}
"""Template header media fields and the media type whose limits apply to their uploads."""


class SendTemplateRequest(RaslRequest):
    """Body of `POST /messages/template`: flat, numbered parameters instead of Meta components.

    Sent as JSON, or as multipart/form-data when a header file is uploaded.

    Attributes:
        phone: Recipient with country code, 10 to 20 characters.
        template_name: An APPROVED template.
        language: Template language code of at most 10 characters, such as `en` or `en_GB`.
        contact_id: An existing contact.
        header_field_1: The `{{1}}` of a TEXT header.
        header_image_url: The media of an IMAGE header, as a URL.
        header_image_file: The media of an IMAGE header, as a local file (5 MB maximum).
        header_video_url: The media of a VIDEO header, as a URL.
        header_video_file: The media of a VIDEO header, as a local file (16 MB maximum).
        header_document_url: The media of a DOCUMENT header, as a URL.
        header_document_file: The media of a DOCUMENT header, as a local file (100 MB maximum).
        header_document_name: Display name of the header document, at most 255 characters.
        field_1: Body placeholder `{{1}}`; `field_2` to `field_10` follow the same pattern.
        button_0: Parameter of the first dynamic URL button; `button_1` and `button_2` follow.
        auto_generate_otp: For AUTHENTICATION templates, the server generates the code.
        otp_field_number: Which `field_N` receives the generated code.
    """

    phone: str
    template_name: str = Field(min_length=1)
    language: str = Field(min_length=1, max_length=10)
    contact_id: int | None = None
    header_field_1: str | None = None
    header_image_url: str | None = None
    header_image_file: Path | None = None
    header_video_url: str | None = None
    header_video_file: Path | None = None
    header_document_url: str | None = None
    header_document_file: Path | None = None
    header_document_name: str | None = Field(default=None, max_length=255)
    field_1: str | None = None
    field_2: str | None = None
    field_3: str | None = None
    field_4: str | None = None
    field_5: str | None = None
    field_6: str | None = None
    field_7: str | None = None
    field_8: str | None = None
    field_9: str | None = None
    field_10: str | None = None
    button_0: str | None = None
    button_1: str | None = None
    button_2: str | None = None
    auto_generate_otp: bool | None = None
    otp_field_number: int | None = Field(default=None, ge=1, le=10)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value)

    @model_validator(mode="after")
    def _check_header_media(self) -> SendTemplateRequest:
        for prefix, media_type in TEMPLATE_HEADER_MEDIA.items():
            url = getattr(self, f"{prefix}_url")
            file = getattr(self, f"{prefix}_file")
            if url is not None and file is not None:
                raise ValueError(f"give only one of {prefix}_url and {prefix}_file")
            if file is not None:
                check_media_file(media_type, file, f"{prefix}_file")
        return self

    def upload_files(self) -> dict[str, Path]:
        """Return the header files to upload, by form field name."""
        uploads = {}
        for prefix in TEMPLATE_HEADER_MEDIA:
            file = getattr(self, f"{prefix}_file")
            if file is not None:
                uploads[f"{prefix}_file"] = file
        return uploads

    def form_fields(self) -> dict[str, str]:
        """Return the text fields for a multipart body, with booleans as `1` and `0`."""
        fields = {}
        excluded = set(self.upload_files())
        for name, value in self.model_dump(exclude_none=True, exclude=excluded).items():
            if isinstance(value, bool):
                fields[name] = "1" if value else "0"
            else:
                fields[name] = str(value)
        return fields


class InteractiveButton(RaslRequest):
    """A quick-reply button: `id` unique within the message, `title` at most 20 characters."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=20)


class InteractiveRow(RaslRequest):
    """A list row: `id` unique in the message, `title` at most 24, `description` 72 characters."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1, max_length=24)
    description: str | None = Field(default=None, max_length=72)


class InteractiveSection(RaslRequest):
    """A titled section of list rows."""

    title: str = Field(min_length=1)
    rows: list[InteractiveRow] = Field(min_length=1)


class SendInteractiveRequest(RaslRequest):
    """Body of `POST /messages/interactive`: quick-reply buttons or a list.

    Attributes:
        phone: Recipient with country code, 10 to 20 characters.
        type: `button` (needs `buttons`) or `list` (needs `list_button_text` and `sections`).
        body_text: At most 1024 characters.
        header_text: At most 60 characters.
        footer_text: At most 60 characters.
        contact_id: An existing contact.
        buttons: One to 3 buttons with unique ids.
        list_button_text: Label of the button that opens the list, at most 20 characters.
        sections: One to 10 sections; row ids are unique across the message.
    """

    phone: str
    type: Literal["button", "list"]
    body_text: str = Field(min_length=1, max_length=1024)
    header_text: str | None = Field(default=None, max_length=60)
    footer_text: str | None = Field(default=None, max_length=60)
    contact_id: int | None = None
    buttons: list[InteractiveButton] | None = Field(default=None, min_length=1, max_length=3)
    list_button_text: str | None = Field(default=None, min_length=1, max_length=20)
    sections: list[InteractiveSection] | None = Field(default=None, min_length=1, max_length=10)

    @field_validator("phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        return check_phone(value)

    @model_validator(mode="after")
    def _check_kind(self) -> SendInteractiveRequest:
        if self.type == "button":
            if not self.buttons:
                raise ValueError("type 'button' needs buttons (1 to 3)")
            if self.sections or self.list_button_text:
                raise ValueError("type 'button' takes no sections or list_button_text")
            _check_unique_ids([button.id for button in self.buttons], "buttons")
        else:
            if not self.sections or not self.list_button_text:
                raise ValueError("type 'list' needs list_button_text and sections (1 to 10)")
            if self.buttons:
                raise ValueError("type 'list' takes no buttons")
            _check_unique_ids([row.id for section in self.sections for row in section.rows], "rows")
        return self


def _check_unique_ids(ids: list[str], what: str) -> None:
    duplicates = sorted({item for item in ids if ids.count(item) > 1})
    if duplicates:
        raise ValueError(f"{what} ids must be unique; repeated: {', '.join(duplicates)}")


class SentMessage(RaslResponse):
    """The result of a text, media, template or interactive send.

    Attributes:
        message_id: The WhatsApp message id (`wamid...`).
        contact_id: The existing or automatically created contact.
        phone: The cleaned phone number, digits only.
        status: `sent` on success.
        sent_at: When the message was sent.
        chat_id: The internal chat interaction.
        chat_message_id: The internal chat message.
        message: For text sends, the final text after merge fields.
        media_type: For media sends, the media type.
        media_url: For media sends, where the server stored the media.
        caption: For media sends, the caption.
        filename: For media sends, the document name.
        template_name: For template sends, the template.
        language: For template sends, the language.
        type: For interactive sends, `button` or `list`.
    """

    message_id: str | None = None
    contact_id: int | None = None
    phone: str | None = None
    status: str | None = None
    sent_at: Timestamp | None = None
    chat_id: int | None = None
    chat_message_id: int | None = None
    message: str | None = None
    media_type: str | None = None
    media_url: str | None = None
    caption: str | None = None
    filename: str | None = None
    template_name: str | None = None
    language: str | None = None
    type: str | None = None


class Message(RaslResponse):
    """One message from the WhatsApp history, sent or received.

    Attributes:
        id: The internal message record id, used by `get_message`.
        interaction_id: The conversation.
        sender_id: The sender.
        type: `text`, `template`, `image`, `video`, `document`, `audio` or `interactive`.
        message: The text; may contain HTML for template messages.
        status: `sent`, `delivered`, `read` or `failed`.
        message_id: The WhatsApp message id.
        sent_at: When the message was sent.
        is_read: Whether it was read.
        status_message: Status text or error, from `get_message`.
        ref_message_id: The message replied to, from `get_message`.
        url: The media URL, from `get_message`.
        staff_id: The staff member who sent it; None for API and bot sends.
    """

    id: int | None = None
    interaction_id: int | None = None
    sender_id: str | None = None
    type: str | None = None
    message: str | None = None
    status: str | None = None
    message_id: str | None = None
    sent_at: Timestamp | None = None
    is_read: bool | None = None
    status_message: str | None = None
    ref_message_id: Any = None
    url: str | None = None
    staff_id: int | None = None


class MessageFilter(ListFilter):
    """Filters of `list_messages`; operators here: exact, `ne`, `in`, `not_in`.

    Attributes:
        type: `text`, `template`, `image`, `video`, `document`, `audio` or `interactive`.
        status: `sent`, `delivered`, `read` or `failed`.
        interaction_id: One conversation.
        direction: `inbound` or `outbound`.
    """

    type: FilterValue | None = None
    status: FilterValue | None = None
    interaction_id: FilterValue | None = None
    direction: FilterValue | None = None
