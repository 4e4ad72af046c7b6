"""Sync the WhatsApp templates into RASL and report what changed since the previous run.

Meant to run on a schedule (`prefect.yaml` runs it daily). The previous run's template list
is kept in Prefect Variables, compactly: a short fingerprint and the status of each template.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any, Literal

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.variables import Variable
from pydantic import BaseModel, Field

from rasl_prefect import RaslCredentials
from rasl_prefect.logging import get_logger
from rasl_prefect.models import Template
from rasl_prefect.tasks import list_templates, sync_templates

VARIABLE_PREFIX = "rasl_templates_"
"""Start of the names of the Variables that keep the previous run's template list."""

MAX_VARIABLE_BYTES = 4500
"""UTF-8 bytes of JSON stored per Variable; Prefect 3.9 rejects values over 5000 bytes."""

ChangeKind = Literal["new", "changed", "newly approved", "rejected", "removed"]


class TemplateChange(BaseModel):
    """One template that differs from the previous run's list."""

    change: ChangeKind = Field(description="What happened to the template.")
    template_name: str = Field(description="The template's name.")
    language: str = Field(description="The template's language code.")
    category: str = Field(default="", description="MARKETING, UTILITY or AUTHENTICATION.")
    status: str = Field(default="", description="The status now; empty for a removed template.")
    previous_status: str = Field(default="", description="The status in the previous run.")


class TemplateSyncReport(BaseModel):
    """The templates after the sync and the changes since the previous run."""

    variable_name: str = Field(description="The Variable that keeps the template list.")
    first_run: bool = Field(description="True when no previous list existed to compare with.")
    templates: int = Field(description="Templates listed after the sync.")
    by_status: dict[str, int] = Field(default_factory=dict, description="Templates per status.")
    changes: list[TemplateChange] = Field(default_factory=list, description="The differences.")


def template_key(template: Template) -> str:
    """Return the stable identity of a template: its WhatsApp id, else its name and language."""
    if template.template_id:
        return str(template.template_id)
    return f"{template.template_name or template.name}/{template.language}"


def template_fingerprint(template: Template) -> str:
    """Return a short hash of the template's content, so an edit shows as a change."""
    content = [
        template.category,
        template.header_data_format,
        template.header_data_text,
        template.body_data,
        template.footer_data,
        template.buttons_data,
    ]
    material = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:10]


def snapshot(templates: list[Template]) -> dict[str, list[str]]:
    """Return the list to keep: status, fingerprint, name, language and category by key."""
    return {
        template_key(template): [
            (template.status or "").upper(),
            template_fingerprint(template),
            str(template.template_name or template.name or ""),
            str(template.language or ""),
            str(template.category or ""),
        ]
        for template in templates
    }


def compare(previous: dict[str, list[str]], current: dict[str, list[str]]) -> list[TemplateChange]:
    """List the new, changed, newly approved, rejected and removed templates."""
    changes: list[TemplateChange] = []

    for key, (status, fingerprint, name, language, category) in sorted(current.items()):
        described = {"template_name": name, "language": language, "category": category}
        before = previous.get(key)
        if before is None:
            changes.append(TemplateChange(change="new", status=status, **described))
            continue

        before_status, before_fingerprint = before[0], before[1]
        if status != before_status and status == "APPROVED":
            changes.append(
                TemplateChange(
                    change="newly approved",
                    status=status,
                    previous_status=before_status,
                    **described,
                )
            )
        elif status != before_status and status == "REJECTED":
            changes.append(
                TemplateChange(
                    change="rejected", status=status, previous_status=before_status, **described
                )
            )
        elif fingerprint != before_fingerprint or status != before_status:
            changes.append(
                TemplateChange(
                    change="changed", status=status, previous_status=before_status, **described
                )
            )

    for key, (status, _, name, language, category) in sorted(previous.items()):
        if key not in current:
            changes.append(
                TemplateChange(
                    change="removed",
                    template_name=name,
                    language=language,
                    category=category,
                    previous_status=status,
                )
            )
    return changes


def default_variable_name(credentials: RaslCredentials) -> str:
    """Derive the Variable name from the credentials block's name, else from its base URL."""
    block_name = getattr(credentials, "_block_document_name", None)
    if block_name and not str(block_name).startswith("anonymous"):
        base = str(block_name)
    else:
        base = hashlib.sha256(credentials.base_url.encode("utf-8")).hexdigest()[:12]
    return VARIABLE_PREFIX + re.sub(r"[^a-z0-9_-]", "_", base.lower())


def read_snapshot(variable_name: str) -> dict[str, list[str]] | None:
    """Return the template list the previous run stored, or None when there is none."""
    first = Variable.get(variable_name, default=None)
    if not isinstance(first, dict):
        return None

    entries: dict[str, list[str]] = dict(first.get("templates", {}))
    for part in range(1, int(first.get("parts", 1))):
        more = Variable.get(f"{variable_name}-{part}", default=None)
        if not isinstance(more, dict):
            get_logger().warning(
                "Part %d of the template list in Variable %s is missing; comparing with the "
                "parts found",
                part,
                variable_name,
            )
            continue
        entries.update(more.get("templates", {}))
    return entries


def write_snapshot(variable_name: str, entries: dict[str, list[str]]) -> int:
    """Store the template list in as many Variables as its size needs, and return that count."""
    parts: list[dict[str, list[str]]] = [{}]
    size = 0
    for key, entry in sorted(entries.items()):
        entry_size = len(json.dumps({key: entry}, ensure_ascii=False).encode("utf-8"))
        if size + entry_size > MAX_VARIABLE_BYTES and parts[-1]:
            parts.append({})
            size = 0
        parts[-1][key] = entry
        size += entry_size

    for index, templates in enumerate(parts):
        name = variable_name if index == 0 else f"{variable_name}-{index}"
        stored: dict[str, Any] = {"templates": templates}
        if index == 0:
            stored["parts"] = len(parts)
        Variable.set(name, stored, overwrite=True)
    return len(parts)


@flow(
    name="template-sync",
    description="Sync WhatsApp templates into RASL and report new, changed, approved and "
    "rejected templates.",
)
def template_sync(
    credentials: RaslCredentials,
    variable_name: Annotated[
        str | None, Field(min_length=1, max_length=200, pattern=r"^[a-z0-9_-]+$")
    ] = None,
    sync_first: bool = True,
) -> TemplateSyncReport:
    """Sync the templates, list them, and compare the list with the previous run's.

    Args:
        credentials: The RASL credentials block of a token with `templates:sync` and
            `templates:read`.
        variable_name: The Prefect Variable that keeps the template list between runs:
            lowercase letters, digits, `_` and `-`. Defaults to `rasl_templates_` and the
            credentials block's name, so each account keeps its own list.
        sync_first: Pull the templates from WhatsApp before listing them; turn it off for a
            token without `templates:sync`.

    Returns:
        The template counts and the changes; the first run reports every template as new.
    """
    logger = get_logger()
    name = variable_name or default_variable_name(credentials)

    if sync_first:
        sync_templates(credentials)
    templates: list[Template] = list_templates(credentials).items

    current = snapshot(templates)
    previous = read_snapshot(name)
    changes = compare(previous or {}, current)

    by_status: dict[str, int] = {}
    for status, *_ in current.values():
        by_status[status or "UNKNOWN"] = by_status.get(status or "UNKNOWN", 0) + 1
    report = TemplateSyncReport(
        variable_name=name,
        first_run=previous is None,
        templates=len(templates),
        by_status=by_status,
        changes=changes,
    )

    publish_report(report)
    parts = write_snapshot(name, current)
    logger.info(
        "Template sync: %d templates, %d changes since the previous run; list kept in %d "
        "Variables named %s",
        report.templates,
        len(changes),
        parts,
        name,
    )
    return report


def publish_report(report: TemplateSyncReport) -> None:
    """Create the table artifact of changes and a markdown summary."""
    create_table_artifact(
        key="template-sync-changes",
        table=[change.model_dump() for change in report.changes],
        description=(
            "Every template, as this is the first run"
            if report.first_run
            else "New, changed, newly approved, rejected and removed templates"
        ),
    )

    counts: dict[str, int] = {}
    for change in report.changes:
        counts[change.change] = counts.get(change.change, 0) + 1
    first = "\n\nFirst run: every template counts as new." if report.first_run else ""
    lines = [
        f"# Template sync{first}",
        "",
        "| | count |",
        "| --- | ---: |",
        f"| templates | {report.templates} |",
        *(f"| status {status} | {count} |" for status, count in sorted(report.by_status.items())),
        *(f"| {change} | {count} |" for change, count in sorted(counts.items())),
    ]
    create_markdown_artifact(
        key="template-sync-summary",
        markdown="\n".join(lines),
        description="Template counts and changes since the previous run",
    )
