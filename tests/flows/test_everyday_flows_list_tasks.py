"""A list task that reads every page, called inside a flow run as the everyday flows call it.

Prefect links a task's result to its state by walking the result model's fields, so the result
of a list task must be a plain pydantic model. A `RootModel` result used to fail the task run
with "dictionary update sequence element #0 has length ...; 2 is required".
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from rasl_prefect import RaslCredentials
from rasl_prefect.tasks import list_templates


@flow
def count_templates(credentials: RaslCredentials) -> int:
    return len(list_templates(credentials).items)


def test_list_task_every_page_in_flow(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    assert count_templates(credentials) == 8
