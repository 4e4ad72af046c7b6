"""The sandbox's state: one tenant's tables of plain dicts, guarded by one lock."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rasl_prefect.sandbox import seed
from rasl_prefect.sandbox.clock import SandboxClock, isoformat
from rasl_prefect.sandbox.store import Store, Table

CONTACT_FIELDS = (
    "id",
    "firstname",
    "lastname",
    "company",
    "type",
    "email",
    "phone",
    "status_id",
    "source_id",
    "description",
    "city",
    "state",
    "zip",
    "address",
    "country_id",
    "assigned_id",
    "group_id",
    "is_opted_out",
    "created_at",
    "updated_at",
)
"""Fields of the contact object, in the order RASL documents them."""

MESSAGE_LIST_FIELDS = (
    "id",
    "interaction_id",
    "sender_id",
    "type",
    "message",
    "status",
    "message_id",
    "sent_at",
    "is_read",
    "direction",
    "created_at",
    "updated_at",
)
"""Fields of a List Messages item: the documented ones plus the filterable and sortable ones."""

MESSAGE_DETAIL_FIELDS = MESSAGE_LIST_FIELDS + (
    "status_message",
    "ref_message_id",
    "url",
    "staff_id",
)
"""Fields of Get Message: the list fields plus the detail fields."""

GROUP_FIELDS = ("id", "name", "created_at", "updated_at")

MAX_SENT_OTPS = 10_000
"""OTP codes kept for the admin API; older ones are dropped."""

EventHook = Callable[[str, str, dict[str, Any], "dict[str, Any] | None"], None]
"""Called with (resource type, action, current record, previous record) after a CRM change."""


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a token is stored; token values are never kept."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_value() -> str:
    """Return a new random token value."""
    return "sbx_" + secrets.token_urlsafe(24)


@dataclass
class SandboxSettings:
    """Server-wide settings chosen at start.

    Attributes:
        rpm: Requests per window of the seeded token.
        window_seconds: Default length of a rate-limit window, in seconds.
        retry_after: Whether 429 responses carry a `Retry-After` header.
        token: The seeded full-scope token, or None for a random one.
        state_path: SQLite file that keeps state across restarts, or None for memory only.
    """

    rpm: int = 60
    window_seconds: float = 60.0
    retry_after: bool = True
    token: str | None = None
    state_path: str | None = None


class SandboxState:
    """All tables of the sandbox tenant plus its plan, settings and clock.

    Handlers take `lock` around every read-check-write sequence, so concurrent requests
    (including from several threads) never break uniqueness rules.
    """

    def __init__(self, settings: SandboxSettings, clock: SandboxClock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SandboxClock()
        self.lock = threading.RLock()
        self.store = Store(settings.state_path)
        self.event_hook: EventHook | None = None

        self.tokens: Table = Table("tokens", self.store, integer_keys=False)
        self.contacts: Table = Table("contacts", self.store, integer_keys=True)
        self.groups: Table = Table("groups", self.store, integer_keys=True)
        self.sources: Table = Table("sources", self.store, integer_keys=True)
        self.statuses: Table = Table("statuses", self.store, integer_keys=True)
        self.templates: Table = Table("templates", self.store, integer_keys=True)
        self.messages: Table = Table("messages", self.store, integer_keys=True)
        self.otps: Table = Table("otps", self.store, integer_keys=False)
        self.config: Table = Table("config", self.store, integer_keys=False)
        self.last_inbound: Table = Table("last_inbound", self.store, integer_keys=False)
        self.chats: Table = Table("chats", self.store, integer_keys=False)
        self._tables = (
            self.tokens,
            self.contacts,
            self.groups,
            self.sources,
            self.statuses,
            self.templates,
            self.messages,
            self.otps,
            self.config,
            self.last_inbound,
            self.chats,
        )

        # Indexes and volatile state, rebuilt from the tables and never stored.
        self.phone_index: dict[str, int] = {}
        self.email_index: dict[str, int] = {}
        self.otp_verify_hits: dict[str, list[float]] = {}
        self.otp_resend_hits: dict[str, list[float]] = {}
        self.sent_otps: deque[dict[str, Any]] = deque(maxlen=MAX_SENT_OTPS)
        self.media: dict[str, tuple[bytes, str]] = {}
        self.seeded_token = ""

        for table in self._tables:
            table.load()
        if not self.config:
            self._seed()
        self._rebuild_indexes()
        self._install_seeded_token(settings.token)

    # Seeding and reset

    def _seed(self) -> None:
        created = self.now_iso()
        self.config.put("tenant", {**seed.TENANT, "created_at": created})
        self.config.put("plan", seed.default_plan())
        for source in seed.SOURCES:
            self.sources.put(source["id"], {**source, "created_at": created, "updated_at": created})
            self.sources.last_id = max(self.sources.last_id, source["id"])
        for status in seed.STATUSES:
            self.statuses.put(
                status["id"], {**status, "created_at": created, "updated_at": created}
            )
            self.statuses.last_id = max(self.statuses.last_id, status["id"])
        for template in seed.seed_templates():
            template_id = self.templates.next_id()
            record = {"id": template_id, **template, "created_at": created, "updated_at": created}
            self.templates.put(template_id, record)

    def _install_seeded_token(self, value: str | None) -> None:
        """Register the full-scope token printed at start, replacing the previous seeded one."""
        for key, record in list(self.tokens.items()):
            if record.get("seeded"):
                self.tokens.remove(key)
        self.seeded_token = value or new_token_value()
        self.add_token(
            self.seeded_token,
            name="seeded",
            scopes=list(seed.ALL_SCOPES),
            rpm=self.settings.rpm,
            window_seconds=None,
            expires_at=None,
            seeded=True,
        )

    def _rebuild_indexes(self) -> None:
        self.phone_index = {
            contact["phone"]: contact_id for contact_id, contact in self.contacts.items()
        }
        self.email_index = {
            contact["email"].lower(): contact_id
            for contact_id, contact in self.contacts.items()
            if contact.get("email")
        }

    def reset(self) -> None:
        """Drop every record and token, seed again and keep the current seeded token value."""
        with self.lock:
            seeded_token = self.seeded_token
            self.store.clear()
            for table in self._tables:
                table.clear_all()
            self.otp_verify_hits.clear()
            self.otp_resend_hits.clear()
            self.sent_otps.clear()
            self.media.clear()
            self.clock.reset()
            self._seed()
            self._rebuild_indexes()
            self._install_seeded_token(seeded_token)

    def close(self) -> None:
        """Close the SQLite file, if any."""
        self.store.close()

    # Time

    def now(self) -> float:
        """Return the sandbox time in Unix seconds."""
        return self.clock.now()

    def now_iso(self) -> str:
        """Return the sandbox time as ISO 8601."""
        return isoformat(self.clock.now())

    # Tenant and plan

    @property
    def tenant(self) -> dict[str, Any]:
        """The tenant record."""
        return self.config["tenant"]  # type: ignore[no-any-return]

    @property
    def plan(self) -> dict[str, Any]:
        """The plan: limits, features and tenant configuration switches."""
        return self.config["plan"]  # type: ignore[no-any-return]

    def save_plan(self) -> None:
        """Write the plan through after an in-place change."""
        self.config.put("plan", self.plan)

    # Tokens

    def add_token(
        self,
        value: str,
        *,
        name: str,
        scopes: Iterable[str],
        rpm: int,
        window_seconds: float | None,
        expires_at: float | None,
        seeded: bool = False,
    ) -> dict[str, Any]:
        """Store a token under its hash and return its record (which contains no token value)."""
        token_hash = hash_token(value)
        record = {
            "id": self.tokens.next_id(),
            "name": name,
            "scopes": sorted(set(scopes)),
            "rpm": rpm,
            "window_seconds": window_seconds,
            "expires_at": expires_at,
            "seeded": seeded,
            "created_at": self.now_iso(),
        }
        self.tokens.put(token_hash, record)
        return record

    def find_token(self, value: str) -> dict[str, Any] | None:
        """Return the record of a token value, or None when unknown."""
        return self.tokens.get(hash_token(value))  # type: ignore[no-any-return]

    # Contacts

    def contact_view(self, contact: dict[str, Any], include: Iterable[str] = ()) -> dict[str, Any]:
        """Return the public contact object, with the requested relationships loaded."""
        view: dict[str, Any] = {name: contact.get(name) for name in CONTACT_FIELDS}
        group_ids = list(contact.get("group_id") or [])
        view["group_id"] = group_ids
        for relation in include:
            if relation == "groups":
                view["groups"] = [
                    {name: self.groups[group_id][name] for name in GROUP_FIELDS}
                    for group_id in group_ids
                    if group_id in self.groups
                ]
            elif relation == "source":
                view["source"] = copy.deepcopy(self.sources.get(contact["source_id"]))
            elif relation == "status":
                view["status"] = copy.deepcopy(self.statuses.get(contact["status_id"]))
        return view

    def insert_contact(self, values: dict[str, Any]) -> dict[str, Any]:
        """Store a new contact from checked values (phone already cleaned) and return it."""
        now = self.now_iso()
        contact_id = self.contacts.next_id()
        contact: dict[str, Any] = {name: None for name in CONTACT_FIELDS}
        contact.update(values)
        contact.update(
            {
                "id": contact_id,
                "group_id": list(values.get("group_id") or []),
                "is_opted_out": bool(values.get("is_opted_out", False)),
                "created_at": now,
                "updated_at": now,
            }
        )
        self.contacts.put(contact_id, contact)
        self.phone_index[contact["phone"]] = contact_id
        if contact.get("email"):
            self.email_index[contact["email"].lower()] = contact_id
        self.emit("contact", "created", contact, None)
        return contact

    def update_contact(self, contact: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """Apply checked changes to a contact, keep the indexes right and return it."""
        previous = copy.deepcopy(contact)
        if "phone" in changes and changes["phone"] != contact["phone"]:
            self.phone_index.pop(contact["phone"], None)
            self.phone_index[changes["phone"]] = contact["id"]
        if "email" in changes:
            if contact.get("email"):
                self.email_index.pop(contact["email"].lower(), None)
            if changes["email"]:
                self.email_index[changes["email"].lower()] = contact["id"]
        contact.update(changes)
        contact["updated_at"] = self.now_iso()
        self.contacts.put(contact["id"], contact)
        self.emit("contact", "updated", contact, previous)
        return contact

    def delete_contact(self, contact_id: int) -> dict[str, Any] | None:
        """Delete a contact and return it, or None when it does not exist."""
        contact = self.contacts.remove(contact_id)
        if contact is None:
            return None
        self.phone_index.pop(contact["phone"], None)
        if contact.get("email"):
            self.email_index.pop(contact["email"].lower(), None)
        self.emit("contact", "deleted", contact, contact)
        return contact  # type: ignore[no-any-return]

    def contact_limit_error(self, adding: int = 1) -> dict[str, Any] | None:
        """Return the FEATURE_LIMIT_EXCEEDED details when `adding` contacts would pass the plan."""
        maximum = self.plan["limits"]["contacts"]
        current = len(self.contacts)
        if maximum is None or maximum < 0 or current + adding <= maximum:
            return None
        return {"feature": "contacts", "current": current, "maximum": maximum}

    # CRM events

    def emit(
        self, resource: str, action: str, record: dict[str, Any], previous: dict[str, Any] | None
    ) -> None:
        """Pass a CRM change to the webhook dispatcher, when one is configured."""
        if self.event_hook is not None:
            self.event_hook(resource, action, copy.deepcopy(record), previous)
