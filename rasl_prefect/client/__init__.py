"""Typed synchronous and asynchronous clients of the RASL WhatsApp Business API v2."""

from rasl_prefect.client.async_client import AsyncRaslClient
from rasl_prefect.client.cache import clear_client_cache, get_cached_client
from rasl_prefect.client.clock import AsyncClock, AsyncSystemClock, Clock, SystemClock
from rasl_prefect.client.retry import RetryPolicy
from rasl_prefect.client.sync_client import RaslClient
from rasl_prefect.models.templates import build_template_parameters

__all__ = [
    "AsyncClock",
    "AsyncRaslClient",
    "AsyncSystemClock",
    "Clock",
    "RaslClient",
    "RetryPolicy",
    "SystemClock",
    "build_template_parameters",
    "clear_client_cache",
    "get_cached_client",
]
