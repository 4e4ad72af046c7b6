"""Helpers of the reliability tests: generated campaign files and what the sandbox recorded."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IMPORT_SOURCE_ID = 3
"""The sandbox's seeded "Import" contact source."""

NEW_STATUS_ID = 1
"""The sandbox's seeded "New" contact status."""

ARABIC_FIRST_NAMES = ["سارة", "محمد", "\u200fفاطمة", "عبدالله"]
"""First names of some generated rows; one starts with a right-to-left mark."""


@dataclass
class CampaignFile:
    """A generated contacts file and what each of its lines holds."""

    path: Path
    phones: list[str]
    line_by_phone: dict[str, int] = field(default_factory=dict)
    not_consented: set[str] = field(default_factory=set)

    @property
    def consented(self) -> set[str]:
        """The phones that may be messaged."""
        return set(self.phones) - self.not_consented


def write_campaign_file(
    path: Path, count: int, *, first_number: int, no_consent_every: int = 10
) -> CampaignFile:
    """Write `count` Saudi mobile contacts with a WhatsApp consent column.

    Every `no_consent_every`-th row contains "no". Numbers are consecutive from
    `+966{first_number}`, so the last 4 digits, all a report shows of a phone, stay distinct up
    to 10,000 rows.
    """
    lines = ["First Name,Last Name,Phone,Accepts WhatsApp Marketing"]
    campaign = CampaignFile(path=path, phones=[])
    for offset in range(count):
        phone = f"+966{first_number + offset}"
        consent = "no" if offset % no_consent_every == no_consent_every - 1 else "yes"
        name = ARABIC_FIRST_NAMES[offset % 4] if offset % 3 == 0 else f"Contact{offset}"
        lines.append(f"{name},Reliability,{phone},{consent}")

        campaign.phones.append(phone)
        campaign.line_by_phone[phone] = offset + 2
        if consent == "no":
            campaign.not_consented.add(phone)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return campaign


def template_messages_per_phone(sandbox: Any) -> Counter[str]:
    """Count the outbound template messages per E.164 phone, read from the sandbox's state.

    The API lists messages by chat id only, so the phone comes from the in-process state.
    """
    with sandbox.state.lock:
        records = list(sandbox.state.messages.values())
    return Counter(
        "+" + str(record["phone"]).lstrip("+")
        for record in records
        if record["direction"] == "outbound" and record["type"] == "template"
    )


def sandbox_message_count(sandbox: Any) -> int:
    """Return how many messages the sandbox stored."""
    with sandbox.state.lock:
        return len(sandbox.state.messages)
