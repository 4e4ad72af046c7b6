"""Send a WhatsApp template to a WooCommerce customer once per order status that matters.

The webhook receiver (`rasl-prefect webhooks`) turns WooCommerce's `order.created` and
`order.updated` webhooks into Prefect events. The `woocommerce-order-notifications` deployment in
`prefect.yaml` runs this flow for each of them through a deployment trigger. WooCommerce fires
`order.updated` for every edit of an order and redelivers failed webhooks, so the flow keeps one
ledger record per store, order and status and sends at most one message for each.
"""

# No `from __future__ import annotations`: with it, runs of this flow served by `flow.serve`
# (Prefect 3.9.1) failed parameter validation, because the run process could not resolve
# `Annotated` in the string annotations.
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

import phonenumbers
from prefect import flow
from pydantic import Field

from rasl_prefect import RaslCredentials
from rasl_prefect.campaign.models import Recipient
from rasl_prefect.campaign.single import NotificationResult, send_template_once
from rasl_prefect.exceptions import RaslError
from rasl_prefect.importing.phones import normalize_phone
from rasl_prefect.logging import get_logger, mask_phone

OrderField = Literal["first_name", "number", "total"]

DEFAULT_NOTIFY_STATUSES = ["processing", "completed"]
DEFAULT_BODY_FIELDS: list[OrderField] = ["first_name", "number", "total"]
"""The body parameters of the `order_confirmation` template: `Hi {{1}}, your order {{2}} is
confirmed. Total: {{3}}.`"""

# WooCommerce status slugs as the REST API sends them (`processing`, `on-hold`, custom ones),
# with the `wc-` prefix of the database form accepted too.
STATUS_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
STORE_LABEL_MAX_LENGTH = 80


def normalize_status(status: str) -> str:
    """Return a WooCommerce status slug in the REST API's form: lowercase, without `wc-`."""
    slug = status.strip().lower()
    return slug.removeprefix("wc-")


def store_label(store: str) -> str:
    """Return the store's part of a campaign id: the host and path of its URL, in `-`, `.` form.

    Examples:
        >>> store_label("https://shop.example/ar/")
        'shop.example-ar'
    """
    parts = urlsplit(store.strip()) if "://" in store else urlsplit("//" + store.strip())
    text = (parts.hostname or "") + parts.path
    label = re.sub(r"[^0-9A-Za-z.]+", "-", text).strip("-.")
    return label[:STORE_LABEL_MAX_LENGTH] or "store"


def order_campaign_id(store: str, order_id: int, status: str) -> str:
    """Return the ledger campaign of one order status, such as
    `woocommerce-order-shop.example-4321-processing`."""
    return f"woocommerce-order-{store_label(store)}-{order_id}-{status}"


def phone_region(billing_country: str | None, store_country: str) -> str:
    """Return the region for a national billing phone: the billing country when WooCommerce
    gives a known one, else the store's country.

    The billing country comes first because customers type the national form of their own
    country: `050 123 4567` is a Saudi number for a Saudi address and a UAE number for an
    Emirati one.
    """
    country = (billing_country or "").strip().upper()
    if country in phonenumbers.SUPPORTED_REGIONS:
        return country
    return store_country.strip().upper()


def template_parameters(
    fields: list[OrderField], first_name: str, number: str, total: str
) -> list[str]:
    """Return the template's body parameters in the order `fields` gives."""
    values = {"first_name": first_name, "number": number, "total": total}
    return [values[field] for field in fields]


@flow(
    name="woocommerce-order-notifications",
    description="Sends a WhatsApp template once per WooCommerce order status that matters.",
)
def woocommerce_order_notifications(
    order_id: Annotated[int, Field(ge=1)],
    status: Annotated[str, Field(min_length=1, max_length=43)],
    credentials: RaslCredentials,
    number: str | int | None = None,
    total: str | float | None = None,
    currency: str | None = None,
    billing_first_name: str | None = None,
    billing_phone: str | None = None,
    billing_country: str | None = None,
    store: str = "",
    store_country: Annotated[str, Field(min_length=2, max_length=2)] = "SA",
    notify_statuses: list[str] | None = None,
    template_name: Annotated[str, Field(min_length=1)] = "order_confirmation",
    language: Annotated[str, Field(min_length=2, max_length=10)] = "en",
    body_fields: list[OrderField] | None = None,
    default_first_name: str = "Customer",
) -> NotificationResult:
    """Send the order template to the billing phone, once per store, order and status.

    Args:
        order_id: The WooCommerce order id.
        status: The order status when the webhook was sent, such as `processing`.
        credentials: The RASL credentials block; the token needs `messages:send`.
        number: The order number shown to the customer; defaults to the order id. A number
            is accepted too, because the trigger passes JSON numbers through unchanged.
        total: The order total as WooCommerce formats it, such as `149.50`, or a number.
        currency: The ISO currency code, such as `SAR`, written after the total.
        billing_first_name: The customer's first name, kept as typed apart from surrounding
            whitespace (direction marks stay).
        billing_phone: The billing phone, international or national.
        billing_country: The billing country code, the region of a national phone.
        store: The store URL (`X-WC-Webhook-Source`); it keeps the ledgers of two stores apart.
        store_country: The region of a national phone when the order has no billing country.
        notify_statuses: The statuses that get a message; defaults to `processing` and
            `completed`. Other statuses end the run with `skipped`.
        template_name: The APPROVED template to send.
        language: The template's language code, such as `en` or `ar`.
        body_fields: The order fields that fill the template's body parameters, in order;
            defaults to `first_name`, `number`, `total` for `order_confirmation`.
        default_first_name: The name used when the order has none.

    Returns:
        What the run did: `sent`, `already_sent`, or `skipped` with the reason.

    Raises:
        RaslError: The send failed, or an earlier run stopped while sending it (`unknown`).
        ValueError: The status is not a WooCommerce status slug.
    """
    logger = get_logger()

    order_status = normalize_status(status)
    if not STATUS_PATTERN.fullmatch(order_status):
        raise ValueError(
            f"status {status!r} is not a WooCommerce status slug: use lowercase letters, "
            "digits, '-' and '_', such as 'processing'."
        )
    statuses = {normalize_status(item) for item in (notify_statuses or DEFAULT_NOTIFY_STATUSES)}
    campaign_id = order_campaign_id(store, order_id, order_status)

    if order_status not in statuses:
        reason = f"status {order_status!r} is not in notify_statuses {sorted(statuses)}"
        logger.info("Order %s: no message, %s", order_id, reason)
        return NotificationResult(status="skipped", reason=reason, campaign_id=campaign_id)

    region = phone_region(billing_country, store_country)
    phone = normalize_phone(billing_phone or "", region)
    if phone.e164 is None:
        reason = f"the billing phone {mask_phone(billing_phone)} is invalid: {phone.reason}"
        logger.warning("Order %s: no message, %s", order_id, reason)
        return NotificationResult(
            status="skipped",
            reason=reason,
            campaign_id=campaign_id,
            masked_phone=mask_phone(billing_phone),
        )

    order_total = f"{'' if total is None else total} {currency or ''}".strip()
    parameters = template_parameters(
        body_fields or DEFAULT_BODY_FIELDS,
        first_name=(billing_first_name or "").strip() or default_first_name,
        number=str(number) if number not in (None, "") else str(order_id),
        total=order_total,
    )
    # NOTE: the ledger is not a lock. Two runs for the same order and status that overlap
    # (an `order.created` and an `order.updated` fired in the same second) can both send,
    # so the deployment in prefect.yaml runs one flow run at a time.
    outcome = send_template_once(
        credentials,
        Recipient(phone=phone.e164, parameters=parameters),
        campaign_id=campaign_id,
        template_name=template_name,
        language=language,
    )
    result = NotificationResult.from_outcome(outcome, campaign_id)
    logger.info(
        "Order %s (%s): message to %s is %s",
        order_id,
        order_status,
        result.masked_phone,
        result.status,
    )

    if result.status in ("failed", "unknown"):
        raise RaslError(
            f"The {template_name} message for order {order_id} ({order_status}) is "
            f"{result.status}: {result.reason}. The ledger campaign {campaign_id} keeps it "
            "from being sent again, except after a failure that provably had no effect.",
            code=result.error_code,
        )
    return result
