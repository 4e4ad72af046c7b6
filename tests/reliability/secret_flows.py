"""Run every flow of `flows/` once with the credentials block named in `RASL_SECRET_BLOCK`.

The secrets test runs this module in its own process, so that its stdout and stderr are exactly
what a user of the flows reads. The flows run against the sandbox behind the block, and some are
made to fail. The last stdout line is a JSON list of the flow run ids.

Not run: `sharded_campaign` (it starts runs of a deployment) and `demo_csv_import` (it starts
its own sandbox with its own token).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from prefect.states import State

from flows.account_usage_report import account_usage_report
from flows.contacts_cleanup import contacts_cleanup
from flows.csv_import import csv_import
from flows.delivery_report import delivery_report
from flows.otp_verification import otp_verification
from flows.send_campaign_to_group import send_campaign_to_group
from flows.template_sync import template_sync
from flows.welcome_new_contact import welcome_new_contact
from flows.woocommerce_order_notifications import woocommerce_order_notifications
from rasl_prefect import RaslCredentials
from tests.reliability.support import IMPORT_SOURCE_ID, NEW_STATUS_ID

PHONE = "+966500040011"


def run_flow(name: str, call: Callable[[], State[Any]], run_ids: list[str]) -> None:
    """Run one flow, print its final state and keep its flow run id."""
    state = call()
    run_ids.append(str(state.state_details.flow_run_id))
    print(f"{name}: {state.type.value} {state.message or ''}", flush=True)
    if state.is_failed():
        error = state.result(raise_on_failure=False)
        print(f"{name} raised {error!r}", file=sys.stderr, flush=True)


def main(contacts_file: str) -> None:
    """Run the flows with the saved block and with a block whose token is revoked."""
    credentials = RaslCredentials.load(os.environ["RASL_SECRET_BLOCK"])
    revoked = RaslCredentials.load(os.environ["RASL_REVOKED_BLOCK"])
    run_ids: list[str] = []

    import_parameters: dict[str, Any] = {
        "source": contacts_file,
        "group_name": "Secrets",
        "template_name": "welcome_offer",
        "template_fields": ["First Name"],
        "default_region": "SA",
        "source_id": IMPORT_SOURCE_ID,
        "status_id": NEW_STATUS_ID,
        "return_state": True,
    }
    run_flow(
        "csv_import", lambda: csv_import(credentials=credentials, **import_parameters), run_ids
    )
    run_flow(
        "csv_import revoked",
        lambda: csv_import(credentials=revoked, **import_parameters),
        run_ids,
    )
    run_flow(
        "send_campaign_to_group",
        lambda: send_campaign_to_group(
            credentials,
            template_name="welcome_offer",
            group_name="Secrets",
            template_fields=["@{contact_first_name}"],
            campaign_id="secrets-group",
            return_state=True,
        ),
        run_ids,
    )
    run_flow(
        "welcome_new_contact",
        lambda: welcome_new_contact(
            contact_id=1, phone=PHONE, credentials=credentials, firstname="سارة", return_state=True
        ),
        run_ids,
    )
    run_flow(
        "woocommerce_order_notifications",
        lambda: woocommerce_order_notifications(
            order_id=77,
            status="processing",
            credentials=credentials,
            number="77",
            total="149.50",
            currency="SAR",
            billing_first_name="فاطمة",
            billing_phone="0500040012",
            billing_country="SA",
            store="https://shop.example/",
            return_state=True,
        ),
        run_ids,
    )
    run_flow(
        "template_sync",
        lambda: template_sync(
            credentials, variable_name="rasl-secret-templates", return_state=True
        ),
        run_ids,
    )
    run_flow(
        "account_usage_report",
        lambda: account_usage_report(credentials, return_state=True),
        run_ids,
    )
    run_flow(
        "account_usage_report revoked",
        lambda: account_usage_report(revoked, return_state=True),
        run_ids,
    )
    run_flow("delivery_report", lambda: delivery_report(credentials, return_state=True), run_ids)
    run_flow("contacts_cleanup", lambda: contacts_cleanup(credentials, return_state=True), run_ids)
    run_flow(
        "otp_verification",
        lambda: otp_verification(
            credentials,
            phone=PHONE,
            input_timeout_seconds=10,
            input_poll_seconds=1,
            return_state=True,
        ),
        run_ids,
    )

    print(json.dumps(run_ids), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
