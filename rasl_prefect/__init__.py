"""Prefect 3 integration for the RASL WhatsApp Business API v2.

The blocks, clients and exceptions are importable from here; the tasks live in
`rasl_prefect.tasks`. Prefect's `prefect block register -m rasl_prefect` registers the blocks
that this module exports.
"""

from rasl_prefect.client import AsyncRaslClient, RaslClient, get_cached_client
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import (
    RaslAuthenticationError,
    RaslConfigurationError,
    RaslConnectionError,
    RaslContactOptedOutError,
    RaslError,
    RaslFeatureNotAvailableError,
    RaslNoResponseError,
    RaslNotFoundError,
    RaslOtpError,
    RaslOtpExpiredError,
    RaslOtpInvalidCodeError,
    RaslOtpMaxAttemptsError,
    RaslOtpNotFoundError,
    RaslOutcomeUnknownError,
    RaslPlanLimitError,
    RaslRateLimitError,
    RaslScopeError,
    RaslSendFailedError,
    RaslServerError,
    RaslValidationError,
    RaslWhatsAppNotConfiguredError,
)
from rasl_prefect.notifications import RaslWhatsAppNotification

__version__ = "0.1.0"

__all__ = [
    "AsyncRaslClient",
    "RaslAuthenticationError",
    "RaslClient",
    "RaslConnectionError",
    "RaslContactOptedOutError",
    "RaslCredentials",
    "RaslError",
    "RaslFeatureNotAvailableError",
    "RaslNoResponseError",
    "RaslNotFoundError",
    "RaslOtpError",
    "RaslOtpExpiredError",
    "RaslOtpInvalidCodeError",
    "RaslOtpMaxAttemptsError",
    "RaslOtpNotFoundError",
    "RaslOutcomeUnknownError",
    "RaslPlanLimitError",
    "RaslRateLimitError",
    "RaslScopeError",
    "RaslSendFailedError",
    "RaslServerError",
    "RaslValidationError",
    "RaslWhatsAppNotConfiguredError",
    "RaslConfigurationError",
    "RaslWhatsAppNotification",
    "__version__",
    "get_cached_client",
]
