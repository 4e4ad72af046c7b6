"""A webhook receiver that turns RASL and WooCommerce webhooks into Prefect events."""

from rasl_prefect.webhooks.app import WebhookReceiver, create_webhook_app
from rasl_prefect.webhooks.events import EventEmitter, PrefectEventEmitter, WebhookEvent
from rasl_prefect.webhooks.settings import WebhookSettings, WebhookSettingsError

__all__ = [
    "EventEmitter",
    "PrefectEventEmitter",
    "WebhookEvent",
    "WebhookReceiver",
    "WebhookSettings",
    "WebhookSettingsError",
    "create_webhook_app",
]
