"""The flows that webhooks start: WooCommerce order notifications and the new-contact welcome.

Each test runs the flow under the session's Prefect server against the sandbox, with a fresh
ledger folder (`result_storage`), and reads the sent messages back from the sandbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from flows.welcome_new_contact import contact_phone, welcome_campaign_id, welcome_new_contact
from flows.woocommerce_order_notifications import (
    normalize_status,
    order_campaign_id,
    phone_region,
    store_label,
    template_parameters,
    woocommerce_order_notifications,
)
from rasl_prefect import RaslCredentials
from rasl_prefect.campaign.single import SingleMessageLedger
from rasl_prefect.exceptions import RaslError

STORE = "https://shop.example/"
ARABIC_NAME = "\u200fفاطمة"
"""A first name with a right-to-left mark, which must reach the message untouched."""

IMPORT_SOURCE_ID = 3
NEW_STATUS_ID = 1


def sent_templates(sandbox: Any) -> list[dict[str, Any]]:
    """Return the sandbox's outbound template messages, oldest first."""
    with sandbox.state.lock:
        records = list(sandbox.state.messages.values())
    return [
        record
        for record in records
        if record["direction"] == "outbound" and record["type"] == "template"
    ]


def order_event(**overrides: Any) -> dict[str, Any]:
    """Return the flow parameters that the deployment trigger takes from an order event."""
    parameters: dict[str, Any] = {
        "order_id": 4321,
        "status": "processing",
        "number": "4321",
        "total": "149.50",
        "currency": "SAR",
        "billing_first_name": ARABIC_NAME,
        "billing_phone": "+966500000011",
        "billing_country": "SA",
        "store": STORE,
    }
    parameters.update(overrides)
    return parameters


def notify(credentials: RaslCredentials, **overrides: Any) -> Any:
    return woocommerce_order_notifications(credentials=credentials, **order_event(**overrides))


# Pure helpers: no server needed.


def test_store_label_url_host_path() -> None:
    assert store_label("https://shop.example/ar/") == "shop.example-ar"


def test_store_label_empty_store() -> None:
    assert store_label("") == "store"


def test_normalize_status_database_prefix() -> None:
    assert normalize_status(" WC-Processing ") == "processing"


def test_order_campaign_id_parts() -> None:
    campaign = order_campaign_id(STORE, 4321, "completed")

    assert campaign == "woocommerce-order-shop.example-4321-completed"


def test_phone_region_prefers_billing_country() -> None:
    assert phone_region("ae", "SA") == "AE"


def test_phone_region_unknown_billing_country() -> None:
    assert phone_region("XX", "SA") == "SA"


def test_phone_region_missing_billing_country() -> None:
    assert phone_region(None, "sa") == "SA"


def test_template_parameters_follow_fields() -> None:
    values = template_parameters(["total", "first_name"], "Ali", "42", "10.00 SAR")

    assert values == ["10.00 SAR", "Ali"]


def test_contact_phone_adds_plus() -> None:
    assert contact_phone("966500000011") == "+966500000011"


def test_contact_phone_keeps_other_text() -> None:
    assert contact_phone("050 000 0011") == "050 000 0011"


def test_welcome_campaign_id_with_tenant() -> None:
    assert welcome_campaign_id(57, "123") == "rasl-welcome-123-57"


def test_single_ledger_one_record(tmp_path: Path) -> None:
    from prefect.filesystems import LocalFileSystem

    from rasl_prefect.campaign.models import SendOutcome

    ledger = SingleMessageLedger("campaign-one", LocalFileSystem(basepath=str(tmp_path)))
    ledger.record_outcome(SendOutcome(message_key="first-key", status="sent"))

    assert ledger.read_outcome("another-key") is not None


# Order notifications against the sandbox.


def test_order_processing_sends_once(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials)

    messages = sent_templates(sandbox)
    assert result.status == "sent"
    assert len(messages) == 1
    assert messages[0]["phone"] == "966500000011"
    assert messages[0]["template_name"] == "order_confirmation"
    assert messages[0]["message"] == (
        f"Hi {ARABIC_NAME}, your order 4321 is confirmed. Total: 149.50 SAR."
    )


def test_order_redelivery_sends_nothing(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    notify(credentials)

    second = notify(credentials)

    assert second.status == "already_sent"
    assert len(sent_templates(sandbox)) == 1


def test_order_edited_same_status(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    notify(credentials)

    edited = notify(credentials, total="199.00", billing_phone="+966500000022")

    assert edited.status == "already_sent"
    assert len(sent_templates(sandbox)) == 1


def test_order_each_status_once(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    statuses = ["processing", "processing", "completed", "completed", "processing"]

    results = [notify(credentials, status=status).status for status in statuses]

    assert results == ["sent", "already_sent", "sent", "already_sent", "already_sent"]
    assert len(sent_templates(sandbox)) == 2


def test_order_irrelevant_status_skipped(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, status="on-hold")

    assert result.status == "skipped"
    assert "on-hold" in (result.reason or "")
    assert sent_templates(sandbox) == []


def test_order_custom_notify_statuses(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, status="on-hold", notify_statuses=["wc-on-hold"])

    assert result.status == "sent"
    assert len(sent_templates(sandbox)) == 1


def test_order_national_phone_store_country(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, billing_phone="050 000 0011", billing_country="")

    messages = sent_templates(sandbox)
    assert result.status == "sent"
    assert messages[0]["phone"] == "966500000011"


def test_order_national_phone_billing_country(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, billing_phone="050 123 4567", billing_country="AE")

    messages = sent_templates(sandbox)
    assert result.status == "sent"
    assert messages[0]["phone"] == "971501234567"


def test_order_arabic_digits_phone(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, billing_phone="\u200e٠٥٠٠٠٠٠٠١١", billing_country=None)

    assert result.status == "sent"
    assert sent_templates(sandbox)[0]["phone"] == "966500000011"


def test_order_invalid_phone_skipped(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, billing_phone="12345")

    assert result.status == "skipped"
    assert "invalid" in (result.reason or "")
    assert "12345" not in (result.reason or "")
    assert sent_templates(sandbox) == []


def test_order_missing_phone_skipped(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, billing_phone=None)

    assert result.status == "skipped"
    assert sent_templates(sandbox) == []


def test_order_arabic_template(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    notify(credentials, language="ar")

    message = sent_templates(sandbox)[0]
    assert message["language"] == "ar"
    assert message["message"] == f"مرحبا {ARABIC_NAME}، تم تأكيد طلبك 4321. المجموع: 149.50 SAR."


def test_order_missing_name_default(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    notify(credentials, billing_first_name="  ")

    assert sent_templates(sandbox)[0]["message"].startswith("Hi Customer,")


def test_order_two_stores_apart(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    notify(credentials)

    other = notify(credentials, store="https://other-shop.example/")

    assert other.status == "sent"
    assert len(sent_templates(sandbox)) == 2


def test_order_failed_send_raises(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    with pytest.raises(RaslError, match="failed"):
        notify(credentials, template_name="no_such_template")

    assert sent_templates(sandbox) == []


def test_order_retry_after_clean_failure(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    # RASL rejects an unknown template with a 4xx error, which provably sent nothing, so the
    # next event may send.
    with pytest.raises(RaslError):
        notify(credentials, template_name="no_such_template")

    result = notify(credentials)

    assert result.status == "sent"
    assert len(sent_templates(sandbox)) == 1


def test_order_invalid_status_rejected(credentials: RaslCredentials, result_storage: Path) -> None:
    with pytest.raises(ValueError, match="status"):
        notify(credentials, status="../processing")


def test_order_token_absent_from_result(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials)

    assert sandbox.token not in result.model_dump_json()


# The welcome for new contacts.


def create_contact(api: httpx.Client, phone: str, firstname: str) -> dict[str, Any]:
    response = api.post(
        "/contacts",
        json={
            "firstname": firstname,
            "lastname": "Test",
            "phone": phone,
            "type": "lead",
            "source_id": IMPORT_SOURCE_ID,
            "status_id": NEW_STATUS_ID,
        },
    )
    response.raise_for_status()
    contact: dict[str, Any] = response.json()["data"]
    return contact


def test_welcome_sent_once(
    credentials: RaslCredentials, sandbox: Any, api: httpx.Client, result_storage: Path
) -> None:
    contact = create_contact(api, "966500000077", "سارة")

    first = welcome_new_contact(
        contact_id=contact["id"],
        phone=contact["phone"],
        firstname="سارة",
        tenant_id=1,
        credentials=credentials,
    )
    second = welcome_new_contact(
        contact_id=contact["id"],
        phone=contact["phone"],
        firstname="سارة",
        tenant_id=1,
        credentials=credentials,
    )

    messages = sent_templates(sandbox)
    assert first.status == "sent"
    assert second.status == "already_sent"
    assert len(messages) == 1
    assert messages[0]["template_name"] == "welcome_offer"
    assert messages[0]["message"].startswith("Hi سارة, welcome")


def test_welcome_per_contact(
    credentials: RaslCredentials, sandbox: Any, api: httpx.Client, result_storage: Path
) -> None:
    contacts = [
        create_contact(api, "966500000078", "Noura"),
        create_contact(api, "966500000079", "Omar"),
    ]

    results = [
        welcome_new_contact(
            contact_id=contact["id"],
            phone=contact["phone"],
            firstname=contact["firstname"],
            credentials=credentials,
        )
        for contact in contacts
    ]

    assert [result.status for result in results] == ["sent", "sent"]
    assert len(sent_templates(sandbox)) == 2


def test_welcome_invalid_phone_skipped(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = welcome_new_contact(
        contact_id=999, phone="123", firstname="Ali", credentials=credentials
    )

    assert result.status == "skipped"
    assert sent_templates(sandbox) == []


def test_welcome_reads_missing_phone(
    credentials: RaslCredentials, sandbox: Any, api: httpx.Client, result_storage: Path
) -> None:
    contact = create_contact(api, "966500000080", "ليلى")

    result = welcome_new_contact(
        contact_id=contact["id"], phone=None, firstname=None, credentials=credentials
    )

    messages = sent_templates(sandbox)
    assert result.status == "sent"
    assert messages[0]["phone"] == "966500000080"
    assert messages[0]["message"].startswith("Hi ليلى, welcome")


def test_order_numeric_number_total(
    credentials: RaslCredentials, sandbox: Any, result_storage: Path
) -> None:
    result = notify(credentials, number=4321, total=149.5)

    assert result.status == "sent"
    assert sent_templates(sandbox)[0]["message"].endswith(
        "order 4321 is confirmed. Total: 149.5 SAR."
    )
