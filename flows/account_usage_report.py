"""Report the account's usage against its plan, and raise an event when a feature nears its limit.

Meant to run on a schedule (`prefect.yaml` runs it hourly). A Prefect automation can react to
the `rasl.account.usage.threshold` event, for example by sending a notification.
"""

from __future__ import annotations

from typing import Annotated, Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import FeatureUsage, PlanLimits, UsageStatistics
from rasl_prefect.tasks import get_account_info, get_plan_limits, get_usage_statistics

THRESHOLD_EVENT = "rasl.account.usage.threshold"
"""The Prefect event emitted once per feature whose usage passed the threshold."""

USAGE_FEATURES = ("contacts", "conversations", "campaigns", "staff")
"""The features whose usage RASL reports: contacts in total, conversations this month,
active campaigns and staff members."""


class FeatureUsageRow(BaseModel):
    """The usage of one plan feature, as the report's table shows it."""

    feature: str = Field(description="The feature, such as `contacts`.")
    current: int | None = Field(default=None, description="The amount used.")
    limit: int | None = Field(
        default=None, description="The plan's limit; None when unlimited or not configured."
    )
    remaining: int | None = Field(default=None, description="The amount left under the limit.")
    percent_used: float | None = Field(
        default=None, description="The share of the limit used, 0 to 100 or more."
    )
    over_threshold: bool = Field(default=False, description="True when the threshold is passed.")


class AccountUsageReport(BaseModel):
    """The account's usage per feature, its plan limits and the features over the threshold."""

    account_id: int | None = Field(default=None, description="The RASL account (tenant) id.")
    account_name: str | None = Field(default=None, description="The account's name.")
    threshold_percent: float = Field(description="The threshold the usage was compared with.")
    usage: list[FeatureUsageRow] = Field(default_factory=list, description="One row per feature.")
    api_calls_per_minute: int | None = Field(
        default=None, description="The token's request limit per minute."
    )
    features: dict[str, bool] = Field(default_factory=dict, description="The plan's features.")
    over_threshold: list[str] = Field(
        default_factory=list, description="The features whose usage passed the threshold."
    )


def usage_row(
    feature: str, usage: FeatureUsage | None, threshold_percent: float
) -> FeatureUsageRow:
    """Build a feature's row, computing the percentage when RASL left it out."""
    if usage is None:
        return FeatureUsageRow(feature=feature)

    unlimited = usage.is_unlimited or usage.limit is None or usage.limit < 0
    if unlimited:
        return FeatureUsageRow(feature=feature, current=usage.current)

    percent = usage.percentage_used
    if percent is None and usage.current is not None and usage.limit:
        percent = round(100.0 * usage.current / usage.limit, 2)
    if usage.limit == 0 and usage.current is not None:
        # A limit of 0 means the plan lacks the feature: any use is over it.
        percent = 100.0 if usage.current > 0 else 0.0

    return FeatureUsageRow(
        feature=feature,
        current=usage.current,
        limit=usage.limit,
        remaining=usage.remaining,
        percent_used=percent,
        over_threshold=percent is not None and percent >= threshold_percent,
    )


@flow(
    name="account-usage-report",
    description="Report the RASL account's usage against its plan and warn near the limits.",
)
def account_usage_report(
    credentials: RaslCredentials,
    threshold_percent: Annotated[float, Field(gt=0, le=100)] = 80.0,
) -> AccountUsageReport:
    """Read the usage and plan limits, and flag each feature whose usage passed the threshold.

    For every such feature the run logs a warning and emits the Prefect event
    `rasl.account.usage.threshold` on the resource `rasl.account.<account id>`, with the
    feature, its usage and the threshold in the payload.

    Args:
        credentials: The RASL credentials block of a token with `account:read`.
        threshold_percent: The share of a limit, in percent, from which a feature is flagged.

    Returns:
        The usage per feature, the plan's limits and features, and the flagged features.
    """
    logger = get_logger()

    account = get_account_info(credentials)
    usage: UsageStatistics = get_usage_statistics(credentials)
    limits: PlanLimits = get_plan_limits(credentials)

    report = AccountUsageReport(
        account_id=account.id,
        account_name=account.name,
        threshold_percent=threshold_percent,
        api_calls_per_minute=limits.api_calls_per_minute,
        features=dict(limits.features),
    )
    for feature in USAGE_FEATURES:
        row = usage_row(feature, getattr(usage, feature), threshold_percent)
        report.usage.append(row)
        if row.over_threshold:
            report.over_threshold.append(feature)
            warn_over_threshold(report, row)

    publish_report(report)
    logger.info(
        "Account %s usage: %d features read, %d over %s%%",
        report.account_id,
        len(report.usage),
        len(report.over_threshold),
        threshold_percent,
    )
    return report


def warn_over_threshold(report: AccountUsageReport, row: FeatureUsageRow) -> None:
    """Log a warning and emit the threshold event for one feature."""
    get_logger().warning(
        "Account %s has used %s%% of its %s limit (%s of %s), over the %s%% threshold",
        report.account_id,
        row.percent_used,
        row.feature,
        row.current,
        row.limit,
        report.threshold_percent,
    )

    payload: dict[str, Any] = {
        "feature": row.feature,
        "current": row.current,
        "limit": row.limit,
        "remaining": row.remaining,
        "percent_used": row.percent_used,
        "threshold_percent": report.threshold_percent,
    }
    resource = {"prefect.resource.id": f"rasl.account.{report.account_id}"}
    if report.account_name:
        resource["prefect.resource.name"] = report.account_name
    emit_event(THRESHOLD_EVENT, resource=resource, payload=payload)


def publish_report(report: AccountUsageReport) -> None:
    """Create the usage table artifact and a markdown summary of limits and features."""
    create_table_artifact(
        key="account-usage",
        table=[row.model_dump() for row in report.usage],
        description=f"Usage of account {report.account_id} against its plan",
    )

    flagged = ", ".join(report.over_threshold) or "none"
    enabled = ", ".join(sorted(name for name, on in report.features.items() if on)) or "none"
    disabled = ", ".join(sorted(name for name, on in report.features.items() if not on)) or "none"
    lines = [
        f"# Usage of {report.account_name or 'account'} ({report.account_id})",
        "",
        "| feature | used | limit | percent used |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in report.usage:
        limit = "unlimited" if row.limit is None else str(row.limit)
        percent = "" if row.percent_used is None else f"{row.percent_used:g}%"
        marker = " **over threshold**" if row.over_threshold else ""
        lines.append(f"| {row.feature} | {row.current} | {limit} | {percent}{marker} |")
    lines += [
        "",
        f"Over {report.threshold_percent:g}%: {flagged}.",
        f"API calls per minute: {report.api_calls_per_minute}.",
        f"Plan features on: {enabled}. Off: {disabled}.",
    ]
    create_markdown_artifact(
        key="account-usage-summary",
        markdown="\n".join(lines),
        description=f"Usage summary of account {report.account_id}",
    )
