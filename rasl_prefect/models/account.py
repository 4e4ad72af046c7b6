"""The account behind the token: details, usage and plan limits."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from rasl_prefect.models.common import RaslResponse, Timestamp


class AccountInfo(RaslResponse):
    """The account (tenant) the token belongs to; `name` falls back to the subdomain."""

    id: int | None = None
    name: str | None = None
    subdomain: str | None = None
    status: str | None = None
    created_at: Timestamp | None = None
    subscription: dict[str, Any] | None = None


class FeatureUsage(RaslResponse):
    """Usage of one plan feature.

    Attributes:
        current: Amount used.
        limit: The plan's limit; -1 means unlimited and None means not configured.
        remaining: Amount left, or None when unlimited or not configured.
        percentage_used: 0 to 100 with 2 decimals; 0 when unlimited.
        is_unlimited: Whether the feature is unlimited.
    """

    current: int | None = None
    limit: int | None = None
    remaining: int | None = None
    percentage_used: float | None = None
    is_unlimited: bool | None = None


class UsageStatistics(RaslResponse):
    """Usage per feature: contacts in total, conversations per month, active campaigns, staff."""

    contacts: FeatureUsage | None = None
    conversations: FeatureUsage | None = None
    campaigns: FeatureUsage | None = None
    staff: FeatureUsage | None = None


class PlanLimit(RaslResponse):
    """One plan limit; `limit` -1 means unlimited."""

    limit: int | None = None
    feature_name: str | None = None
    is_unlimited: bool | None = None


class PlanLimits(RaslResponse):
    """The plan's limits and features.

    Attributes:
        limits: By key: `contacts`, `conversations`, `campaigns`, `staff`, and
            `api_calls_per_minute` (the token's own requests-per-minute limit).
        features: Feature flags such as `whatsapp_templates` and `bulk_messaging`.
    """

    limits: dict[str, PlanLimit] = Field(default_factory=dict)
    features: dict[str, bool] = Field(default_factory=dict)

    @property
    def api_calls_per_minute(self) -> int | None:
        """The token's requests-per-minute limit, when the server sent it."""
        entry = self.limits.get("api_calls_per_minute")
        return entry.limit if entry else None
