"""Stable identifiers of campaigns and campaign messages."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence


def message_key(
    campaign_id: str, phone: str, template_name: str, language: str, parameters: Sequence[str]
) -> str:
    """Return the key that identifies one message of a campaign.

    The same campaign, phone, template, language and parameters always give the same key, so
    the message is sent at most once whatever the number of runs. The phone is hashed, so record
    paths never show it.
    """
    material = json.dumps(
        [campaign_id, phone, template_name, language, list(parameters)], ensure_ascii=False
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:40]


def derive_campaign_id(*parts: str) -> str:
    """Return a stable campaign id from its defining parts, such as a file hash and a template.

    Examples:
        >>> derive_campaign_id("sha256-of-file", "welcome_offer", "en", "VIP")[:9]
        'campaign-'
    """
    material = json.dumps(list(parts), ensure_ascii=False).encode("utf-8")
    return "campaign-" + hashlib.sha256(material).hexdigest()[:16]
