"""Helpers of the csv_import tests: running the flow and reading the sandbox back over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from rasl_prefect import RaslCredentials

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
QUIRKS_DIR = DATA_DIR / "csv_import"

IMPORT_SOURCE_ID = 3
"""The sandbox's seeded "Import" contact source."""

NEW_STATUS_ID = 1
"""The sandbox's seeded "New" contact status."""


def list_all(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Return every item of a paginated list endpoint, 100 per page, at most 100 pages."""
    items: list[dict[str, Any]] = []
    for page in range(1, 101):
        response = api.get(path, params={**params, "per_page": 100, "page": page})
        response.raise_for_status()
        body = response.json()
        items.extend(body["data"])
        if page >= body["meta"]["last_page"]:
            return items
    raise AssertionError(f"GET {path} has more than 100 pages")


def e164(phone: str) -> str:
    """Return a phone as RASL stores it (digits only) in E.164 form with a leading `+`."""
    return "+" + phone.lstrip("+")


def contacts_by_phone(api: httpx.Client) -> dict[str, dict[str, Any]]:
    """Return the sandbox's contacts keyed by E.164 phone."""
    return {e164(contact["phone"]): contact for contact in list_all(api, "/contacts")}


def group_member_phones(api: httpx.Client, group_id: int | None) -> set[str]:
    """Return the phones of the group's members, found with the contacts' `group_id` filter."""
    members = list_all(api, "/contacts", **{"filter[group_id]": group_id})
    return {e164(contact["phone"]) for contact in members}


def template_messages(api: httpx.Client) -> list[dict[str, Any]]:
    """Return the outbound template messages the sandbox recorded."""
    return list_all(
        api, "/messages", **{"filter[type]": "template", "filter[direction]": "outbound"}
    )


def messages_per_chat(api: httpx.Client) -> dict[int, int]:
    """Return how many template messages each chat received; RASL keeps one chat per contact."""
    counts: dict[int, int] = {}
    for message in template_messages(api):
        chat = int(message["interaction_id"])
        counts[chat] = counts.get(chat, 0) + 1
    return counts


def messaged_phones(sandbox: Any) -> list[str]:
    """Return the phone of every outbound template message, read from the sandbox's state.

    The API's message list gives only the chat id, so the phone comes from the in-process state.
    """
    with sandbox.state.lock:
        records = list(sandbox.state.messages.values())
    return [
        e164(record["phone"])
        for record in records
        if record["direction"] == "outbound" and record["type"] == "template"
    ]


def run_import(credentials: RaslCredentials, source: str | Path, **parameters: Any) -> Any:
    """Run `csv_import` on a file with the welcome template and return its report.

    The template takes the contact's first name through the `@{contact_first_name}` merge
    field, so a sent message shows the name RASL stored. `parameters` override the defaults.
    """
    from flows.csv_import import csv_import

    arguments: dict[str, Any] = {
        "source": str(source),
        "credentials": credentials,
        "group_name": "Imported",
        "template_name": "welcome_offer",
        "template_fields": ["@{contact_first_name}"],
        "default_region": "SA",
        "source_id": IMPORT_SOURCE_ID,
        "status_id": NEW_STATUS_ID,
    }
    arguments.update(parameters)
    return csv_import(**arguments)


def write_contacts_file(
    path: Path, count: int, *, first_number: int = 500_002_000, consent: str | None = None
) -> list[str]:
    """Write a CSV of `count` Saudi mobile contacts and return their E.164 phones in file order.

    Numbers are consecutive from `+966{first_number}`, so their last 4 digits, the only digits a
    report shows, stay distinct for up to 10,000 contacts. With `consent`, an "Accepts WhatsApp
    Marketing" column contains that value on every row.
    """
    header = "First Name,Last Name,Phone"
    if consent is not None:
        header += ",Accepts WhatsApp Marketing"
    lines = [header]
    phones = []
    for offset in range(count):
        phone = f"+966{first_number + offset}"
        phones.append(phone)
        line = f"Contact{offset},Sample,{phone}"
        if consent is not None:
            line += f",{consent}"
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return phones


def last_digits(phone: str) -> str:
    """Return the last 4 digits of a phone, which is what a masked phone in a report keeps."""
    return phone[-4:]
