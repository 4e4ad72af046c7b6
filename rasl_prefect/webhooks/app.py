"""The Starlette app that receives RASL and WooCommerce webhooks and emits Prefect events."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rasl_prefect.logging import get_logger
from rasl_prefect.webhooks.body import (
    BodyReadTimeoutError,
    BodyTooLargeError,
    InvalidContentLengthError,
    check_content_length,
    read_body,
)
from rasl_prefect.webhooks.deduplication import DeliveryDeduplicator
from rasl_prefect.webhooks.events import (
    EventEmitter,
    PrefectEventEmitter,
    WebhookEvent,
    drain_prefect_events,
)
from rasl_prefect.webhooks.rasl import RaslEnvelopeError, build_rasl_event
from rasl_prefect.webhooks.rejections import RateLimitedLog
from rasl_prefect.webhooks.settings import WebhookSettings
from rasl_prefect.webhooks.signatures import (
    body_signature_matches,
    secrets_match,
    woocommerce_signature_matches,
)
from rasl_prefect.webhooks.woocommerce import (
    WooCommerceDeliveryError,
    build_woocommerce_event,
    is_ping,
    parse_headers,
)

EMIT_FAILURE_RETRY_AFTER_SECONDS = 30


class _Rejection(Exception):
    """A rejected request: it gets an error response and emits nothing."""

    def __init__(self, status_code: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error = error
        self.message = message


class WebhookReceiver:
    """Request handlers, deduplication memories and logging of one receiver app.

    Args:
        settings: The receiver settings.
        emitter: Sends events to Prefect.
    """

    def __init__(self, settings: WebhookSettings, emitter: EventEmitter) -> None:
        self.settings = settings
        self.emitter = emitter
        self.logger = get_logger("rasl_prefect.webhooks")
        self.rejection_log = RateLimitedLog(self.logger)
        self.ping_log = RateLimitedLog(self.logger)
        self.rasl_deliveries = DeliveryDeduplicator(
            settings.deduplication_ttl_seconds, settings.deduplication_max_entries
        )
        self.woocommerce_deliveries = DeliveryDeduplicator(
            settings.deduplication_ttl_seconds, settings.deduplication_max_entries
        )

    async def health(self, request: Request) -> Response:
        """Return HTTP 200 and the enabled webhook endpoints."""
        return JSONResponse({"status": "ok", "endpoints": self.enabled_endpoints()})

    def enabled_endpoints(self) -> list[str]:
        """Return the webhook endpoints that have a secret configured."""
        endpoints = []
        if self.settings.rasl_secret is not None:
            endpoints.append("rasl")
        if self.settings.woocommerce_secret is not None:
            endpoints.append("woocommerce")
        return endpoints

    async def receive_rasl(self, request: Request) -> Response:
        """Authenticate a RASL delivery, then emit `rasl.<type>` unless it is a redelivery."""
        try:
            event = await self._read_rasl_event(request)
        except _Rejection as rejection:
            return self._reject("rasl", request, rejection)
        except ClientDisconnect:
            return self._client_disconnected("rasl", request)
        return self._deliver(event, self.rasl_deliveries)

    async def receive_woocommerce(self, request: Request) -> Response:
        """Respond to a ping, or verify a WooCommerce delivery and emit `woocommerce.<topic>`."""
        try:
            event = await self._read_woocommerce_event(request)
        except _Rejection as rejection:
            return self._reject("woocommerce", request, rejection)
        except ClientDisconnect:
            return self._client_disconnected("woocommerce", request)

        if event is None:
            return JSONResponse({"status": "ok"}, status_code=200)
        return self._deliver(event, self.woocommerce_deliveries)

    async def _read_rasl_event(self, request: Request) -> WebhookEvent:
        settings = self.settings
        assert settings.rasl_secret is not None
        secret = settings.rasl_secret.get_secret_value()

        _check_declared_length(request, settings.max_body_bytes)

        # Header and path secrets are checked before the body is read, so an
        # unauthenticated client cannot make the receiver read a body at all.
        if settings.rasl_auth == "header":
            received = request.headers.get(settings.rasl_secret_header)
            if received is None:
                raise _Rejection(
                    401, "missing_secret", f"The {settings.rasl_secret_header} header is missing."
                )
            if not secrets_match(received, secret):
                raise _Rejection(
                    401, "invalid_secret", f"The {settings.rasl_secret_header} header is invalid."
                )
        elif settings.rasl_auth == "path":
            if not secrets_match(request.path_params.get("secret"), secret):
                raise _Rejection(401, "invalid_secret", "The secret in the URL path is invalid.")

        body = await self._read_body(request)

        if settings.rasl_auth == "signature":
            received = request.headers.get(settings.rasl_signature_header)
            if received is None:
                raise _Rejection(
                    401,
                    "missing_signature",
                    f"The {settings.rasl_signature_header} header is missing.",
                )
            if not body_signature_matches(body, secret, received):
                raise _Rejection(
                    401,
                    "invalid_signature",
                    f"The {settings.rasl_signature_header} header is not "
                    "the HMAC-SHA256 of the body.",
                )

        document = _decode_json(body)
        try:
            return build_rasl_event(document, settings.max_event_payload_bytes)
        except RaslEnvelopeError as error:
            raise _Rejection(422, "invalid_envelope", str(error)) from None

    async def _read_woocommerce_event(self, request: Request) -> WebhookEvent | None:
        settings = self.settings
        assert settings.woocommerce_secret is not None

        _check_declared_length(request, settings.max_body_bytes)
        body = await self._read_body(request)

        # WooCommerce sends `webhook_id=N` unsigned when a webhook is saved and expects
        # exactly HTTP 200; a ping emits nothing, so it needs no signature.
        if is_ping(body):
            self.ping_log.log(
                logging.INFO,
                "Responded to a WooCommerce ping for webhook %s",
                body.strip().split(b"=", 1)[1].decode(),
            )
            return None

        received = request.headers.get("x-wc-webhook-signature")
        if received is None:
            raise _Rejection(
                401, "missing_signature", "The X-WC-Webhook-Signature header is missing."
            )
        if not woocommerce_signature_matches(
            body, settings.woocommerce_secret.get_secret_value(), received
        ):
            raise _Rejection(
                401,
                "invalid_signature",
                "The X-WC-Webhook-Signature header is not the base64 HMAC-SHA256 of the body.",
            )

        try:
            headers = parse_headers(request.headers)
        except WooCommerceDeliveryError as error:
            raise _Rejection(422, "invalid_headers", str(error)) from None

        document = _decode_json(body)
        try:
            return build_woocommerce_event(
                document,
                headers,
                body,
                settings.max_event_payload_bytes,
                settings.include_full_order,
            )
        except WooCommerceDeliveryError as error:
            raise _Rejection(422, "invalid_body", str(error)) from None

    async def _read_body(self, request: Request) -> bytes:
        try:
            return await read_body(
                request, self.settings.max_body_bytes, self.settings.body_read_timeout_seconds
            )
        except BodyTooLargeError:
            raise _body_too_large(self.settings.max_body_bytes) from None
        except BodyReadTimeoutError:
            raise _Rejection(
                408,
                "body_timeout",
                f"The body did not arrive within {self.settings.body_read_timeout_seconds:g} s.",
            ) from None

    def _deliver(self, event: WebhookEvent, deliveries: DeliveryDeduplicator) -> Response:
        key = str(event.event_id)
        if deliveries.seen(key):
            self.logger.info(
                "Skipped a redelivery of %s for %s (event id %s)",
                event.name,
                event.resource["prefect.resource.id"],
                event.event_id,
            )
            return JSONResponse({"status": "duplicate", "event_id": key}, status_code=200)

        if not self.emitter.emit(event):
            # The sender retries on 5xx, and the delivery is not remembered, so a retry
            # gets a second chance to reach Prefect.
            return JSONResponse(
                {
                    "error": "emit_failed",
                    "message": "The event could not be passed to Prefect; retry later.",
                },
                status_code=503,
                headers={"Retry-After": str(EMIT_FAILURE_RETRY_AFTER_SECONDS)},
            )

        deliveries.remember(key)
        return JSONResponse({"status": "accepted", "event_id": key}, status_code=202)

    def _reject(self, endpoint: str, request: Request, rejection: _Rejection) -> Response:
        # The line names the endpoint, status, reason and client, never the body or a secret.
        self.rejection_log.log(
            logging.WARNING,
            "Rejected %s request from %s with HTTP %d: %s",
            endpoint,
            _client_address(request),
            rejection.status_code,
            rejection.error,
        )
        return JSONResponse(
            {"error": rejection.error, "message": rejection.message},
            status_code=rejection.status_code,
        )

    def _client_disconnected(self, endpoint: str, request: Request) -> Response:
        self.rejection_log.log(
            logging.INFO,
            "The client %s disconnected before sending the whole %s body",
            _client_address(request),
            endpoint,
        )
        return Response(status_code=400)


def create_webhook_app(
    settings: WebhookSettings,
    emitter: EventEmitter | None = None,
    drain_timeout_seconds: float = 10.0,
) -> Starlette:
    """Create the webhook receiver as an ASGI app.

    Routes: `GET /healthz`; `POST /rasl` (or `POST /rasl/{secret}` when `rasl_auth` is
    `path`) when `settings.rasl_secret` is set; `POST /woocommerce` when
    `settings.woocommerce_secret` is set.

    Args:
        settings: The receiver settings.
        emitter: Sends events to Prefect; by default `emit_event` through Prefect's events
            worker, which needs `PREFECT_API_URL`.
        drain_timeout_seconds: On shutdown, how long to wait for Prefect's events worker
            to send queued events (only with the default emitter).

    Returns:
        A Starlette app.

    Examples:
        Serve the receiver with uvicorn:
        ```python
        import uvicorn
        from pydantic import SecretStr
        from rasl_prefect.webhooks import WebhookSettings, create_webhook_app

        settings = WebhookSettings(woocommerce_secret=SecretStr("SECRET"))
        uvicorn.run(create_webhook_app(settings), host="127.0.0.1", port=8788)
        ```
    """
    default_emitter = emitter is None
    receiver = WebhookReceiver(settings, emitter or PrefectEventEmitter())

    routes = [Route("/healthz", receiver.health, methods=["GET"])]
    if settings.rasl_secret is not None:
        rasl_path = "/rasl/{secret:path}" if settings.rasl_auth == "path" else "/rasl"
        routes.append(Route(rasl_path, receiver.receive_rasl, methods=["POST"]))
    if settings.woocommerce_secret is not None:
        routes.append(Route("/woocommerce", receiver.receive_woocommerce, methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        receiver.logger.info(
            "Webhook receiver started with endpoints: %s",
            ", ".join(receiver.enabled_endpoints()) or "none",
        )
        yield
        if default_emitter:
            await anyio.to_thread.run_sync(drain_prefect_events, drain_timeout_seconds)
        receiver.logger.info("Webhook receiver stopped")

    app = Starlette(routes=routes, lifespan=lifespan)
    # A redirect from /rasl to /rasl/ would make senders repeat a POST elsewhere, so respond 404.
    app.router.redirect_slashes = False
    app.state.receiver = receiver
    return app


def _check_declared_length(request: Request, max_bytes: int) -> None:
    try:
        check_content_length(request, max_bytes)
    except InvalidContentLengthError:
        raise _Rejection(
            400, "invalid_content_length", "The Content-Length header is not a number."
        ) from None
    except BodyTooLargeError:
        raise _body_too_large(max_bytes) from None


def _body_too_large(max_bytes: int) -> _Rejection:
    return _Rejection(
        413, "body_too_large", f"The body is larger than the limit of {max_bytes} bytes."
    )


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body, parse_constant=_reject_json_constant)
    except json.JSONDecodeError as error:
        raise _Rejection(
            400, "invalid_json", f"The body is not valid JSON: {error.msg} at byte {error.pos}."
        ) from None
    except (ValueError, RecursionError):
        # Invalid UTF-8, NaN or Infinity, an integer too long to convert, or nesting too deep.
        raise _Rejection(400, "invalid_json", "The body is not valid UTF-8 JSON.") from None


def _client_address(request: Request) -> str:
    if request.client is None:
        return "an unknown client"
    return f"{request.client.host}:{request.client.port}"
