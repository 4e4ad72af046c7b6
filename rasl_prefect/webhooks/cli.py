"""The `rasl-prefect webhooks` command, which serves the webhook receiver with uvicorn."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from pydantic import ValidationError

from rasl_prefect.webhooks.settings import (
    RASL_SECRET_VARIABLE,
    WOOCOMMERCE_SECRET_VARIABLE,
    WebhookSettings,
    WebhookSettingsError,
    secret_from_environment,
)

DESCRIPTION = (
    "Receive RASL and WooCommerce webhooks and emit them as Prefect events. "
    f"Secrets come from {RASL_SECRET_VARIABLE} and {WOOCOMMERCE_SECRET_VARIABLE} "
    "or from the --*-secret-file options, never from the command line. "
    "Events go to PREFECT_API_URL, which must be set."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the `webhooks` command to `parser`."""
    parser.description = DESCRIPTION

    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="Address to listen on (default 127.0.0.1; use 0.0.0.0 only behind a TLS proxy).",
    )

    parser.add_argument(
        "--port", type=int, default=8788, help="TCP port to listen on (default 8788)."
    )

    parser.add_argument(
        "--rasl-auth",
        choices=["header", "path", "signature"],
        default="header",
        help=(
            "How RASL deliveries are authenticated: the secret in a header (default), "
            "as the last URL path segment (/rasl/SECRET), or an HMAC-SHA256 body signature."
        ),
    )

    parser.add_argument(
        "--rasl-secret-header",
        default="X-Webhook-Secret",
        help=(
            "Header that carries the RASL secret with --rasl-auth header "
            "(default X-Webhook-Secret)."
        ),
    )

    parser.add_argument(
        "--rasl-signature-header",
        default="X-Rasl-Signature",
        help=(
            "Header that carries the hex or base64 body signature, optionally prefixed "
            "'sha256=', with --rasl-auth signature (default X-Rasl-Signature)."
        ),
    )

    parser.add_argument(
        "--rasl-secret-file",
        metavar="PATH",
        help=f"File that contains the RASL secret; overrides {RASL_SECRET_VARIABLE}.",
    )

    parser.add_argument(
        "--woocommerce-secret-file",
        metavar="PATH",
        help=f"File that contains the WooCommerce secret; overrides {WOOCOMMERCE_SECRET_VARIABLE}.",
    )

    parser.add_argument(
        "--max-body-bytes",
        type=int,
        default=1_048_576,
        help="Largest accepted request body in bytes; larger ones get HTTP 413 (default 1048576).",
    )

    parser.add_argument(
        "--body-read-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="Seconds a client has to send the whole body; slower ones get HTTP 408 (default 10).",
    )

    parser.add_argument(
        "--limit-concurrency",
        type=int,
        default=100,
        help=(
            "Maximum open connections and tasks; while it is reached, new requests get "
            "HTTP 503 (default 100)."
        ),
    )

    parser.add_argument(
        "--log-level",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        help="Log level of the receiver (default INFO).",
    )


def build_settings(args: argparse.Namespace) -> WebhookSettings:
    """Build the receiver settings from parsed options and the environment.

    Raises:
        WebhookSettingsError: A secret cannot be read, no endpoint has a secret, or an
            option is invalid.
    """
    rasl_secret = secret_from_environment(RASL_SECRET_VARIABLE, args.rasl_secret_file)
    woocommerce_secret = secret_from_environment(
        WOOCOMMERCE_SECRET_VARIABLE, args.woocommerce_secret_file
    )
    if rasl_secret is None and woocommerce_secret is None:
        raise WebhookSettingsError(
            f"No endpoint is enabled: set {RASL_SECRET_VARIABLE} or {WOOCOMMERCE_SECRET_VARIABLE}, "
            "or pass --rasl-secret-file or --woocommerce-secret-file."
        )

    try:
        return WebhookSettings(
            rasl_secret=rasl_secret,
            rasl_auth=args.rasl_auth,
            rasl_secret_header=args.rasl_secret_header,
            rasl_signature_header=args.rasl_signature_header,
            woocommerce_secret=woocommerce_secret,
            max_body_bytes=args.max_body_bytes,
            body_read_timeout_seconds=args.body_read_timeout,
        )
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors(include_input=False, include_url=False)
        )
        raise WebhookSettingsError(f"Invalid option: {problems}.") from None


class _StopRequestedError(Exception):
    """SIGTERM arrived; raised after uvicorn has shut down gracefully."""


def _raise_stop_requested(signum: int, frame: object) -> None:
    raise _StopRequestedError


def run(args: argparse.Namespace) -> int:
    """Serve the receiver until SIGINT or SIGTERM.

    Returns:
        0 after a stop by SIGINT or SIGTERM. 1 when the server could not start, because
        the address is in use or the Prefect API does not respond. 2 for a configuration error.
    """
    import uvicorn
    from prefect.client.orchestration import get_client
    from prefect.logging.configuration import setup_logging
    from prefect.settings import PREFECT_API_URL

    from rasl_prefect.webhooks.app import create_webhook_app

    setup_logging()
    logger = logging.getLogger("rasl_prefect.webhooks")
    logger.setLevel(args.log_level)
    logging.getLogger("uvicorn.error").setLevel(args.log_level)

    try:
        settings = build_settings(args)
    except WebhookSettingsError as error:
        logger.error("%s", error)
        return 2

    if not PREFECT_API_URL.value():
        logger.error(
            "PREFECT_API_URL is not set; set it to the Prefect server's API URL, "
            "such as http://127.0.0.1:4200/api, so that events have somewhere to go."
        )
        return 2

    # emit_event only queues events, so an unreachable Prefect API would otherwise show
    # up only as lost events after deliveries were already acknowledged.
    with get_client(sync_client=True) as client:
        health_error = client.api_healthcheck()
    if health_error is not None:
        logger.error(
            "The Prefect API at %s did not respond to a health check (%s); "
            "start it or fix PREFECT_API_URL.",
            PREFECT_API_URL.value(),
            type(health_error).__name__,
        )
        return 1

    # NOTE: uvicorn 0.54 (h11) keeps a connection that never finishes its request headers
    # open until the client closes it. Only a proxy with header timeouts in front prevents it.
    config = uvicorn.Config(
        create_webhook_app(settings),
        host=args.host,
        port=args.port,
        # The access log is off because a path secret (/rasl/SECRET) would appear in it.
        # The receiver logs each accepted and rejected delivery itself.
        access_log=False,
        log_config=None,
        limit_concurrency=args.limit_concurrency,
        timeout_keep_alive=5,
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)

    # After a graceful shutdown uvicorn raises the captured signal again: SIGINT becomes
    # KeyboardInterrupt, and this handler turns SIGTERM into an exception too.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous_handler = (
        signal.signal(signal.SIGTERM, _raise_stop_requested) if in_main_thread else None
    )
    try:
        server.run()
    except (KeyboardInterrupt, _StopRequestedError):
        return 0
    except SystemExit:
        # uvicorn 0.54 raises SystemExit(3) when it cannot bind the address, after logging why.
        logger.error("The receiver could not start on %s:%d", args.host, args.port)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_handler)
    return 0 if server.started else 1
