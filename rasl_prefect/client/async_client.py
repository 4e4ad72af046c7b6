"""The asynchronous RASL API v2 client: the same methods as `RaslClient`, awaitable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import SecretStr

from rasl_prefect.client import endpoints
from rasl_prefect.client.base import DEFAULT_BASE_URL, AuthHeader, ClientBase
from rasl_prefect.client.clock import AsyncClock, AsyncSystemClock
from rasl_prefect.client.endpoints import RequestSpec
from rasl_prefect.client.pacing import AsyncRateLimitPacer
from rasl_prefect.client.retry import NOT_SENT_ERRORS
from rasl_prefect.client.slots import AsyncConcurrencySlots
from rasl_prefect.exceptions import RaslError
from rasl_prefect.logging import get_logger
from rasl_prefect.models import (
    AccountInfo,
    AuthenticationTemplate,
    AuthenticationTemplateFilter,
    BatchCreateResult,
    BatchDeleteResult,
    Contact,
    ContactCreate,
    ContactFilter,
    ContactType,
    ContactUpdate,
    DeleteResult,
    Group,
    GroupMembershipChange,
    InteractiveButton,
    InteractiveSection,
    MediaType,
    Message,
    MessageFilter,
    OtpSent,
    OtpStatus,
    OtpStatusRequest,
    OtpVerification,
    Page,
    PlanLimits,
    ResendOtpRequest,
    SendInteractiveRequest,
    SendMediaRequest,
    SendOtpRequest,
    SendTemplateRequest,
    SendTextRequest,
    SentMessage,
    Template,
    TemplateSyncResult,
    UsageStatistics,
    VerifyOtpRequest,
)
from rasl_prefect.models.pagination import MAX_PER_PAGE
from rasl_prefect.models.query import FilterValue

if TYPE_CHECKING:
    from rasl_prefect.credentials import RaslCredentials

ResultT = TypeVar("ResultT")

SortValue = str | Sequence[str] | None
FilterArgument = Mapping[str, FilterValue] | None


class AsyncRaslClient(ClientBase):
    """An asynchronous client of the RASL WhatsApp Business API v2.

    Every task that shares one client shares its connection pool and its rate limit pacer,
    so together they stay under the token's limit. Retries follow the same rules as
    `RaslClient`: sends (POST) are repeated only when they provably did not take effect.
    Arguments are those of `RaslClient`, with an async transport and a clock whose `sleep`
    is awaitable.

    Examples:
        ```python
        import asyncio

        from rasl_prefect.client import AsyncRaslClient


        async def main() -> None:
            async with AsyncRaslClient("TOKEN") as client:
                async for contact in client.iter_contacts(filter={"type": "lead"}):
                    print(contact.id)


        asyncio.run(main())
        ```
    """

    def __init__(
        self,
        token: str | SecretStr,
        *,
        base_url: str = DEFAULT_BASE_URL,
        auth_header: AuthHeader = "authorization",
        requests_per_minute: int | None = 60,
        timeout_seconds: float = 30.0,
        max_retries: int = 5,
        max_retry_wait_seconds: float = 120.0,
        concurrency_limit_name: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: AsyncClock | None = None,
        reset_margin_seconds: float | None = None,
    ) -> None:
        super().__init__(
            token,
            base_url=base_url,
            auth_header=auth_header,
            requests_per_minute=requests_per_minute,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            max_retry_wait_seconds=max_retry_wait_seconds,
            concurrency_limit_name=concurrency_limit_name,
        )
        # The base class turns an empty name into None, so both checks below use its value.
        limit_name = self.concurrency_limit_name
        self._slots = AsyncConcurrencySlots(limit_name) if limit_name else None
        self._clock: AsyncClock = clock or AsyncSystemClock()
        self._pacer = AsyncRateLimitPacer(
            requests_per_minute,
            self._clock,
            reset_margin_seconds,
            shared=self._slots is not None,
        )
        self._http = httpx.AsyncClient(
            base_url=self.base_url + "/",
            timeout=timeout_seconds,
            transport=transport,
            headers=self._default_headers(),
        )

    @classmethod
    def from_credentials(cls, credentials: RaslCredentials, **overrides: Any) -> AsyncRaslClient:
        """Build a client from a `RaslCredentials` block.

        Args:
            credentials: The block.
            **overrides: Constructor arguments that replace the block's values, such as `transport`.

        Returns:
            A new client; close it with `aclose()` or use it with `async with`.
        """
        settings: dict[str, Any] = {
            "base_url": credentials.base_url,
            "auth_header": credentials.auth_header,
            "requests_per_minute": credentials.requests_per_minute,
            "timeout_seconds": credentials.timeout_seconds,
            "max_retries": credentials.max_retries,
            "max_retry_wait_seconds": credentials.max_retry_wait_seconds,
            "concurrency_limit_name": credentials.concurrency_limit_name,
        }
        settings.update({name: value for name, value in overrides.items() if value is not None})
        return cls(credentials.api_token, **settings)

    async def __aenter__(self) -> AsyncRaslClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    @property
    def is_closed(self) -> bool:
        """Whether `aclose` was called."""
        return self._http.is_closed

    # Sending

    async def _execute(self, spec: RequestSpec[ResultT]) -> ResultT:
        if spec.fallback_path is None or spec.operation in self._resolved_paths:
            return await self._send(spec, self._path_for(spec))

        try:
            result = await self._send(spec, spec.path)
        except RaslError as error:
            if not self._fallback_error_applies(spec, error):
                raise
            get_logger().info(
                "RASL %s: %s answered 404, trying %s", spec.operation, spec.path, spec.fallback_path
            )
            result = await self._send(spec, spec.fallback_path)
            self._resolved_paths[spec.operation] = spec.fallback_path
            return result
        self._resolved_paths[spec.operation] = spec.path
        return result

    async def _send(self, spec: RequestSpec[ResultT], path: str) -> ResultT:
        attempt = 0
        waited = 0.0
        while True:
            await self._take_concurrency_slot()
            await self._pacer.acquire()
            started = self._clock.monotonic()
            try:
                with ExitStack() as files:
                    request = self._build_request(self._http, spec, path, files)
                    response = await self._http.send(request)
            except httpx.TransportError as error:
                self._pacer.release(None, counted=not isinstance(error, NOT_SENT_ERRORS))
                wait = self._decide_after_transport_error(
                    spec, path, error, attempt=attempt, waited=waited
                )
            except BaseException:
                self._pacer.release(None)
                raise
            else:
                self._pacer.release(response.headers)
                result, next_wait, pause_all = self._decide_after_response(
                    spec,
                    path,
                    response,
                    attempt=attempt,
                    waited=waited,
                    elapsed=self._clock.monotonic() - started,
                    wall_now=self._clock.time(),
                )
                if next_wait is None:
                    return result  # type: ignore[no-any-return]
                wait = next_wait
                if pause_all:
                    self._pacer.pause(wait)

            await self._clock.sleep(wait)
            waited += wait
            attempt += 1

    async def _take_concurrency_slot(self) -> None:
        if self._slots is not None:
            await self._slots.take()

    async def _iterate(
        self, list_page: Callable[..., Awaitable[Page[Any]]], per_page: int, query: dict[str, Any]
    ) -> AsyncIterator[Any]:
        page_number = 1
        previous_first_item: dict[str, Any] | None = None
        while True:
            page = await list_page(page=page_number, per_page=per_page, **query)
            if page.items:
                first_item = page.items[0].model_dump()
                if first_item == previous_first_item:
                    get_logger().warning(
                        "RASL page %d repeats page %d; the server ignores `page`, "
                        "so iteration stops",
                        page_number,
                        page_number - 1,
                    )
                    return
                previous_first_item = first_item
            for item in page.items:
                yield item
            if not page.has_next_page():
                return
            page_number += 1

    # Messages

    async def send_text_message(
        self,
        request: SendTextRequest | None = None,
        *,
        phone: str | None = None,
        message: str | None = None,
        contact_id: int | None = None,
    ) -> SentMessage:
        """Send a free-form text message (`POST /messages/text`).

        Delivered only within 24 hours of the customer's last message; use a template outside it.

        Args:
            request: The whole request as a model, instead of the keyword arguments.
            phone: Recipient with country code, 10 to 20 characters.
            message: At most 4096 characters; merge fields such as `@{contact_first_name}` work.
            contact_id: An existing contact, which skips the lookup and automatic creation.

        Returns:
            The sent message with its WhatsApp `message_id`.

        Raises:
            RaslValidationError: A value breaks a documented limit; nothing was sent.
            RaslOutcomeUnknownError: The request was sent but no response arrived.
            RaslError: The API rejected the send.
        """
        return await self._execute(
            endpoints.send_text_message(
                request, phone=phone, message=message, contact_id=contact_id
            )
        )

    async def send_media_message(
        self,
        request: SendMediaRequest | None = None,
        *,
        phone: str | None = None,
        media_type: MediaType | None = None,
        media_url: str | None = None,
        media_file: str | Path | None = None,
        caption: str | None = None,
        filename: str | None = None,
        contact_id: int | None = None,
    ) -> SentMessage:
        """Send an image, document, video or audio message (`POST /messages/media`, multipart).

        Args:
            request: The whole request as a model, instead of the keyword arguments.
            phone: Recipient with country code, 10 to 15 characters.
            media_type: `image` (jpg, jpeg, png, webp; 5 MB), `document` (pdf, doc, docx, xls,
                xlsx, ppt, pptx, txt, csv; 100 MB), `video` (mp4, 3gp; 16 MB) or `audio`
                (mp3, ogg, amr, aac, opus; 16 MB).
            media_url: A public URL of the media; give this or `media_file`.
            media_file: A local file to upload; its extension and size are checked first.
            caption: At most 1024 characters; not allowed for audio.
            filename: Display name of a document, at most 255 characters.
            contact_id: An existing contact.

        Returns:
            The sent message, with the `media_url` where the server stored the media.
        """
        return await self._execute(
            endpoints.send_media_message(
                request,
                phone=phone,
                media_type=media_type,
                media_url=media_url,
                media_file=media_file,
                caption=caption,
                filename=filename,
                contact_id=contact_id,
            )
        )

    async def send_template_message(
        self,
        request: SendTemplateRequest | None = None,
        *,
        phone: str | None = None,
        template_name: str | None = None,
        language: str | None = None,
        parameters: Mapping[str, str] | None = None,
        body: Sequence[str] | Mapping[int, str] | None = None,
        header: str | None = None,
        buttons: Sequence[str] | Mapping[int, str] | None = None,
        body_params_count: int | None = None,
        contact_id: int | None = None,
        header_image_url: str | None = None,
        header_image_file: str | Path | None = None,
        header_video_url: str | None = None,
        header_video_file: str | Path | None = None,
        header_document_url: str | None = None,
        header_document_file: str | Path | None = None,
        header_document_name: str | None = None,
        auto_generate_otp: bool | None = None,
        otp_field_number: int | None = None,
    ) -> SentMessage:
        """Send an approved template (`POST /messages/template`), also outside the 24-hour window.

        Parameters are flat fields: give them as `parameters` (for example the output of
        `build_template_parameters`), or as `body`, `header` and `buttons`, which are built here.

        Args:
            request: The whole request as a model, instead of the keyword arguments.
            phone: Recipient with country code, 10 to 20 characters.
            template_name: An APPROVED template.
            language: Language code of at most 10 characters, such as `en` or `en_GB`.
            parameters: Fields such as `header_field_1`, `field_1`..`field_10` and
                `button_0`..`button_2`.
            body: Body values in placeholder order, or `{placeholder_number: value}`.
            header: The value of a TEXT header's `{{1}}`.
            buttons: Dynamic URL button values, or `{button_index: value}`.
            body_params_count: The template's placeholder count, checked against `body`.
            contact_id: An existing contact.
            header_image_url: IMAGE header media as a URL.
            header_image_file: IMAGE header media as a local file (5 MB maximum); sends multipart.
            header_video_url: VIDEO header media as a URL.
            header_video_file: VIDEO header media as a local file (16 MB maximum); sends multipart.
            header_document_url: DOCUMENT header media as a URL.
            header_document_file: DOCUMENT header media as a local file (100 MB maximum);
                sends multipart.
            header_document_name: Display name of the header document.
            auto_generate_otp: For AUTHENTICATION templates, let the server generate the code.
            otp_field_number: Which `field_N` receives the generated code.

        Returns:
            The sent message.
        """
        return await self._execute(
            endpoints.send_template_message(
                request,
                parameters=parameters,
                body=body,
                header=header,
                buttons=buttons,
                body_params_count=body_params_count,
                phone=phone,
                template_name=template_name,
                language=language,
                contact_id=contact_id,
                header_image_url=header_image_url,
                header_image_file=header_image_file,
                header_video_url=header_video_url,
                header_video_file=header_video_file,
                header_document_url=header_document_url,
                header_document_file=header_document_file,
                header_document_name=header_document_name,
                auto_generate_otp=auto_generate_otp,
                otp_field_number=otp_field_number,
            )
        )

    async def send_interactive_message(
        self,
        request: SendInteractiveRequest | None = None,
        *,
        phone: str | None = None,
        type: str | None = None,
        body_text: str | None = None,
        header_text: str | None = None,
        footer_text: str | None = None,
        buttons: Sequence[InteractiveButton | Mapping[str, Any]] | None = None,
        list_button_text: str | None = None,
        sections: Sequence[InteractiveSection | Mapping[str, Any]] | None = None,
        contact_id: int | None = None,
    ) -> SentMessage:
        """Send quick-reply buttons or a list (`POST /messages/interactive`).

        Args:
            request: The whole request as a model, instead of the keyword arguments.
            phone: Recipient with country code, 10 to 20 characters.
            type: `button` or `list`.
            body_text: At most 1024 characters.
            header_text: At most 60 characters.
            footer_text: At most 60 characters.
            buttons: For `button`: 1 to 3 buttons, each `{"id", "title"}` with a title of at most
                20 characters and a unique id.
            list_button_text: For `list`: the label of the list button, at most 20 characters.
            sections: For `list`: 1 to 10 sections of rows. A row title has at most 24
                characters and a description at most 72. Row ids are unique.
            contact_id: An existing contact.

        Returns:
            The sent message.
        """
        return await self._execute(
            endpoints.send_interactive_message(
                request,
                phone=phone,
                type=type,
                body_text=body_text,
                header_text=header_text,
                footer_text=footer_text,
                buttons=buttons,
                list_button_text=list_button_text,
                sections=sections,
                contact_id=contact_id,
            )
        )

    async def list_messages(
        self,
        *,
        page: int = 1,
        per_page: int = 15,
        sort: SortValue = None,
        search: str | None = None,
        fields: Sequence[str] | None = None,
        filter: MessageFilter | FilterArgument = None,
    ) -> Page[Message]:
        """Return one page of the WhatsApp message history, newest first (`GET /messages`).

        The docs show both `/messages` and `/messages/messages`. The client tries the first and
        falls back to the second once on a 404, then keeps using the path that worked.

        Args:
            page: Page number from 1.
            per_page: 1 to 100.
            sort: `created_at` or `updated_at`, `-` first for descending; a list is comma-joined.
            search: Partial match on the message text.
            fields: Fields to return.
            filter: A `MessageFilter` or a mapping such as
                `{"direction": "inbound", "status": {"in": ["sent", "failed"]}}`.

        Returns:
            One page of messages.
        """
        return await self._execute(
            endpoints.list_messages(
                page=page,
                per_page=per_page,
                sort=sort,
                search=search,
                fields=fields,
                filters=filter,
            )
        )

    def iter_messages(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        sort: SortValue = None,
        search: str | None = None,
        fields: Sequence[str] | None = None,
        filter: MessageFilter | FilterArgument = None,
    ) -> AsyncIterator[Message]:
        """Yield every message of the history, page by page; arguments as in `list_messages`."""
        query = {"sort": sort, "search": search, "fields": fields, "filter": filter}
        return self._iterate(self.list_messages, per_page, query)

    async def get_message(self, message_id: int) -> Message:
        """Return one message record by its internal id (`GET /messages/{id}`)."""
        return await self._execute(endpoints.get_message(message_id))

    # OTP

    async def send_otp(
        self,
        request: SendOtpRequest | None = None,
        *,
        phone: str | None = None,
        template_name: str | None = None,
        code: str | None = None,
        language: str | None = None,
        expiry_minutes: int | None = None,
        purpose: str | None = None,
        contact_id: int | None = None,
        additional_params: Sequence[str] | None = None,
    ) -> OtpSent:
        """Send a caller-generated code with an AUTHENTICATION template (`POST /auth/send-otp`).

        Only one OTP is active per phone and purpose. The code is never logged.

        Args:
            request: The whole request as a model, instead of the keyword arguments.
            phone: Recipient with country code, 10 to 20 characters.
            template_name: An APPROVED AUTHENTICATION template.
            code: The code to send.
            language: At most 10 characters; the server's default is `en`.
            expiry_minutes: 1 to 60; the server's default is 10.
            purpose: At most 50 characters; the server's default is `authentication`.
            contact_id: An existing contact.
            additional_params: Extra body parameters after the code and the expiry.

        Returns:
            The send result with `expires_at`.
        """
        return await self._execute(
            endpoints.send_otp(
                request,
                phone=phone,
                template_name=template_name,
                code=code,
                language=language,
                expiry_minutes=expiry_minutes,
                purpose=purpose,
                contact_id=contact_id,
                additional_params=list(additional_params)
                if additional_params is not None
                else None,
            )
        )

    async def verify_otp(
        self,
        request: VerifyOtpRequest | None = None,
        *,
        phone: str | None = None,
        code: str | None = None,
        purpose: str | None = None,
    ) -> OtpVerification:
        """Check a code the user typed (`POST /auth/verify`).

        Returns:
            The verification with `verified_at`.

        Raises:
            RaslOtpInvalidCodeError: Wrong code; `attempts_remaining` is the number of tries left.
            RaslOtpExpiredError: The OTP expired.
            RaslOtpNotFoundError: No active OTP for the phone and purpose.
            RaslOtpMaxAttemptsError: Too many failed attempts; send a new OTP.
        """
        return await self._execute(
            endpoints.verify_otp(request, phone=phone, code=code, purpose=purpose)
        )

    async def resend_otp(
        self,
        request: ResendOtpRequest | None = None,
        *,
        phone: str | None = None,
        template_name: str | None = None,
        language: str | None = None,
        expiry_minutes: int | None = None,
        purpose: str | None = None,
    ) -> OtpSent:
        """Replace the active OTP with a new server-generated 6-digit code (`POST /auth/resend`).

        The server allows 3 resends per 5 minutes per phone; beyond that `RaslRateLimitError`
        carries `retry_after`.
        """
        return await self._execute(
            endpoints.resend_otp(
                request,
                phone=phone,
                template_name=template_name,
                language=language,
                expiry_minutes=expiry_minutes,
                purpose=purpose,
            )
        )

    async def check_otp_status(
        self,
        request: OtpStatusRequest | None = None,
        *,
        phone: str | None = None,
        purpose: str | None = None,
    ) -> OtpStatus:
        """Read the active OTP's state without using an attempt (`POST /auth/status`)."""
        return await self._execute(
            endpoints.check_otp_status(request, phone=phone, purpose=purpose)
        )

    async def list_authentication_templates(
        self,
        *,
        page: int = 1,
        per_page: int = 15,
        sort: SortValue = None,
        search: str | None = None,
        filter: AuthenticationTemplateFilter | FilterArgument = None,
    ) -> Page[AuthenticationTemplate]:
        """Return one page of APPROVED AUTHENTICATION templates (`GET /auth/templates`).

        Args:
            page: Page number from 1.
            per_page: 1 to 100.
            sort: `template_name`, `created_at` or `language`, `-` first for descending.
            search: Partial match on the name and body.
            filter: An `AuthenticationTemplateFilter`, or a mapping on `language` and
                `template_name`.
        """
        return await self._execute(
            endpoints.list_authentication_templates(
                page=page, per_page=per_page, sort=sort, search=search, filters=filter
            )
        )

    def iter_authentication_templates(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        sort: SortValue = None,
        search: str | None = None,
        filter: AuthenticationTemplateFilter | FilterArgument = None,
    ) -> AsyncIterator[AuthenticationTemplate]:
        """Yield every AUTHENTICATION template; arguments as in `list_authentication_templates`."""
        query = {"sort": sort, "search": search, "filter": filter}
        return self._iterate(self.list_authentication_templates, per_page, query)

    # Templates

    async def list_templates(
        self,
        *,
        page: int = 1,
        per_page: int = 15,
        sort: SortValue = None,
        search: str | None = None,
        fields: Sequence[str] | None = None,
        filter: FilterArgument = None,
    ) -> Page[Template]:
        """Return one page of message templates (`GET /templates`).

        Args:
            page: Page number from 1.
            per_page: 1 to 100.
            sort: `template_name`, `created_at` or `updated_at`, `-` first for descending.
            search: Partial match on the name and category.
            fields: Fields to return.
            filter: A mapping of `filter[...]` values; the docs list none for this endpoint.
        """
        return await self._execute(
            endpoints.list_templates(
                page=page,
                per_page=per_page,
                sort=sort,
                search=search,
                fields=fields,
                filters=filter,
            )
        )

    def iter_templates(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        sort: SortValue = None,
        search: str | None = None,
        fields: Sequence[str] | None = None,
        filter: FilterArgument = None,
    ) -> AsyncIterator[Template]:
        """Yield every template; arguments as in `list_templates`."""
        query = {"sort": sort, "search": search, "fields": fields, "filter": filter}
        return self._iterate(self.list_templates, per_page, query)

    async def get_template(self, template_id: str) -> Template:
        """Return one template by its WhatsApp `template_id` (`GET /templates/{id}`).

        The path takes the WhatsApp template id string, not the internal integer `id`.
        """
        return await self._execute(endpoints.get_template(template_id))

    async def sync_templates(self) -> TemplateSyncResult:
        """Pull the WhatsApp Business Account's templates into RASL (`POST /templates/sync`)."""
        return await self._execute(endpoints.sync_templates())

    # Contacts

    async def list_contacts(
        self,
        *,
        page: int = 1,
        per_page: int = 15,
        sort: SortValue = None,
        search: str | None = None,
        include: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        filter: ContactFilter | FilterArgument = None,
    ) -> Page[Contact]:
        """Return one page of contacts (`GET /contacts`).

        Args:
            page: Page number from 1.
            per_page: 1 to 100.
            sort: `id`, `firstname`, `lastname`, `created_at` or `updated_at`, `-` first for
                descending.
            search: Partial match on names, email, phone and company.
            include: Relations to embed: `groups`, `source`, `status`.
            fields: Fields to return.
            filter: A `ContactFilter`, or a mapping such as
                `{"type": "lead", "created_at": {"gte": "2026-01-01"}}`.
        """
        return await self._execute(
            endpoints.list_contacts(
                page=page,
                per_page=per_page,
                sort=sort,
                search=search,
                include=include,
                fields=fields,
                filters=filter,
            )
        )

    def iter_contacts(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        sort: SortValue = None,
        search: str | None = None,
        include: Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        filter: ContactFilter | FilterArgument = None,
    ) -> AsyncIterator[Contact]:
        """Yield every contact; arguments as in `list_contacts`."""
        query = {
            "sort": sort,
            "search": search,
            "include": include,
            "fields": fields,
            "filter": filter,
        }
        return self._iterate(self.list_contacts, per_page, query)

    async def create_contact(
        self,
        request: ContactCreate | None = None,
        *,
        firstname: str | None = None,
        lastname: str | None = None,
        phone: str | None = None,
        type: ContactType | None = None,
        source_id: int | None = None,
        status_id: int | None = None,
        email: str | None = None,
        company: str | None = None,
        description: str | None = None,
        city: str | None = None,
        state: str | None = None,
        zip: str | None = None,
        address: str | None = None,
        country_id: int | None = None,
        assigned_id: int | None = None,
        groups: Sequence[int] | None = None,
    ) -> Contact:
        """Create a contact (`POST /contacts`); see `ContactCreate` for each field's limit.

        `source_id` and `status_id` must exist; the API has no endpoint to list them, so read them
        from the dashboard or from existing contacts.
        """
        return await self._execute(
            endpoints.create_contact(
                request,
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
                groups=list(groups) if groups is not None else None,
            )
        )

    async def get_contact(
        self, contact_id: int, *, include: Sequence[str] | None = None
    ) -> Contact:
        """Return one contact (`GET /contacts/{id}`), with the `include`d relations."""
        return await self._execute(endpoints.get_contact(contact_id, include))

    async def update_contact(
        self,
        contact_id: int,
        request: ContactUpdate | None = None,
        **fields: Any,
    ) -> Contact:
        """Change some fields of a contact (`PATCH /contacts/{id}`).

        Args:
            contact_id: The contact.
            request: The changes as a `ContactUpdate`, instead of keyword arguments.
            **fields: The fields to change, with the limits of `ContactUpdate`.

        Returns:
            The updated contact.
        """
        return await self._execute(endpoints.update_contact(contact_id, request, **fields))

    async def delete_contact(self, contact_id: int) -> DeleteResult:
        """Delete a contact permanently (`DELETE /contacts/{id}`)."""
        return await self._execute(endpoints.delete_contact(contact_id))

    async def batch_create_contacts(
        self,
        contacts: Sequence[ContactCreate | Mapping[str, Any]],
        *,
        continue_on_error: bool | None = None,
        skip_duplicates: bool | None = None,
    ) -> BatchCreateResult:
        """Create many contacts in one transaction (`POST /contacts/batch`).

        Args:
            contacts: Contacts, each validated like `create_contact` before anything is sent.
            continue_on_error: Keep going after a failed item; the server's default is true.
            skip_duplicates: Skip phones that already exist; the server's default is false.

        Returns:
            The summary with the created, skipped and failed items.
        """
        return await self._execute(
            endpoints.batch_create_contacts(
                contacts, continue_on_error=continue_on_error, skip_duplicates=skip_duplicates
            )
        )

    async def batch_delete_contacts(self, ids: Sequence[int]) -> BatchDeleteResult:
        """Delete many contacts (`DELETE /contacts/batch`, JSON body); unknown ids are `failed`."""
        return await self._execute(endpoints.batch_delete_contacts(ids))

    # Groups

    async def list_groups(
        self,
        *,
        page: int = 1,
        per_page: int = 15,
        sort: SortValue = None,
        search: str | None = None,
        filter: FilterArgument = None,
    ) -> Page[Group]:
        """Return one page of groups (`GET /groups`); sort by `name`, `created_at`, `updated_at`."""
        return await self._execute(
            endpoints.list_groups(
                page=page, per_page=per_page, sort=sort, search=search, filters=filter
            )
        )

    def iter_groups(
        self,
        *,
        per_page: int = MAX_PER_PAGE,
        sort: SortValue = None,
        search: str | None = None,
        filter: FilterArgument = None,
    ) -> AsyncIterator[Group]:
        """Yield every group; arguments as in `list_groups`."""
        query = {"sort": sort, "search": search, "filter": filter}
        return self._iterate(self.list_groups, per_page, query)

    async def create_group(self, name: str) -> Group:
        """Create a group (`POST /groups`); the name is unique, 255 characters at most."""
        return await self._execute(endpoints.create_group(name))

    async def get_group(self, group_id: int) -> Group:
        """Return one group (`GET /groups/{id}`)."""
        return await self._execute(endpoints.get_group(group_id))

    async def update_group(self, group_id: int, name: str) -> Group:
        """Rename a group (`PATCH /groups/{id}`)."""
        return await self._execute(endpoints.update_group(group_id, name))

    async def delete_group(self, group_id: int) -> DeleteResult:
        """Delete a group (`DELETE /groups/{id}`)."""
        return await self._execute(endpoints.delete_group(group_id))

    async def add_contacts_to_group(
        self, group_id: int, contact_ids: Sequence[int]
    ) -> GroupMembershipChange:
        """Add contacts to a group (`POST /groups/{id}/contacts`); existing members are skipped."""
        return await self._execute(endpoints.add_contacts_to_group(group_id, contact_ids))

    async def remove_contacts_from_group(
        self, group_id: int, contact_ids: Sequence[int]
    ) -> GroupMembershipChange:
        """Remove contacts from a group (`DELETE /groups/{id}/contacts` with a JSON body)."""
        return await self._execute(endpoints.remove_contacts_from_group(group_id, contact_ids))

    # Account

    async def get_account_info(self) -> AccountInfo:
        """Return the account the token belongs to (`GET /account`)."""
        return await self._execute(endpoints.get_account_info())

    async def get_usage_statistics(self) -> UsageStatistics:
        """Return usage per plan feature (`GET /account/usage`)."""
        return await self._execute(endpoints.get_usage_statistics())

    async def get_plan_limits(self) -> PlanLimits:
        """Return the plan's limits and features (`GET /account/limits`).

        `api_calls_per_minute` in the limits is the token's own requests-per-minute limit.
        """
        return await self._execute(endpoints.get_plan_limits())
