"""Template tasks against the sandbox over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslNotFoundError
from rasl_prefect.models import Page, Template, TemplateSyncResult
from rasl_prefect.tasks import get_template, list_templates, sync_templates
from rasl_prefect.tasks.listing import ItemList


def test_list_templates_reads_every_page(credentials: RaslCredentials, api: httpx.Client) -> None:
    expected = api.get("/templates", params={"per_page": 100}).json()["meta"]["total"]

    templates = list_templates.fn(credentials, per_page=3)

    assert isinstance(templates, ItemList)
    assert all(isinstance(template, Template) for template in templates.items)
    assert len(templates.items) == expected
    assert len({template.id for template in templates.items}) == expected


def test_list_templates_one_page(credentials: RaslCredentials) -> None:
    page = list_templates.fn(credentials, page=2, per_page=3)

    assert isinstance(page, Page)
    assert len(page.items) == 3
    assert page.current_page == 2


def test_list_templates_search(credentials: RaslCredentials) -> None:
    templates = list_templates.fn(credentials, search="order_conf")

    assert isinstance(templates, ItemList)
    assert {template.language for template in templates.items} == {"en", "ar"}
    assert {template.template_name for template in templates.items} == {"order_confirmation"}


def test_get_template_by_whatsapp_id(credentials: RaslCredentials) -> None:
    listed = list_templates.fn(credentials, search="welcome_offer")
    assert isinstance(listed, ItemList)
    template_id = listed.items[0].template_id
    assert template_id is not None

    template = get_template.fn(credentials, template_id=template_id)

    assert template.template_name == "welcome_offer"
    assert template.body_params_count == 1


def test_get_template_unknown_id(credentials: RaslCredentials) -> None:
    with pytest.raises(RaslNotFoundError):
        get_template.fn(credentials, template_id="0000000000")


def test_sync_templates_returns_result(credentials: RaslCredentials) -> None:
    result = sync_templates.fn(credentials)

    assert isinstance(result, TemplateSyncResult)
    assert result.model_dump()
