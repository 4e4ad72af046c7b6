"""A list task that reads every page, called inside a flow run.

`list_templates` (like every list task without `page`) returns an `ItemList`, a pydantic
`RootModel` whose `__iter__` yields the items. After a task run, Prefect links the result to
its state with `visit_collection`, which converts a pydantic model with `dict(model)` and so
expects `__iter__` to yield field names and values. The task run then fails with "dictionary
update sequence element #0 has length ...; 2 is required". The everyday flows read pages with
`page=` until this passes.
"""

from __future__ import annotations

from typing import Any

import pytest
from prefect import flow

from rasl_prefect import RaslCredentials
from rasl_prefect.tasks import list_templates


@flow
def count_templates(credentials: RaslCredentials) -> int:
    return len(list_templates(credentials))


@pytest.mark.xfail(reason="ItemList breaks Prefect's result linking inside a flow run")
def test_list_task_every_page_in_flow(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials
) -> None:
    assert count_templates(credentials) == 8
