"""Fuzzing the sandbox API from its OpenAPI document, and our client with random arguments.

Schemathesis generates requests for every `/api/v2` operation of the sandbox's `/openapi.json`:
none may get a 500 or take longer than the timeout, with fault injection off. Hypothesis then
drives our client with random arguments: every call returns a model or raises a `RaslError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import RaslError
from rasl_prefect.sandbox import run_sandbox
from rasl_prefect.sandbox.app import create_app
from rasl_prefect.sandbox.state import SandboxSettings, SandboxState

REQUEST_TIMEOUT_SECONDS = 5.0
EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def fuzz_sandbox() -> Iterator[Any]:
    """A sandbox of its own, so fuzzed requests cannot disturb other tests' data."""
    with run_sandbox(rpm=1_000_000, window_seconds=60) as server:
        yield server


def sandbox_openapi_document() -> dict[str, Any]:
    """Return the OpenAPI document the sandbox serves at `/openapi.json`, built without a server.

    NOTE: schemathesis 4.32.5 cannot load a schema from a pytest fixture under pytest 9.2
    (`schemathesis.pytest.from_fixture` sets `Node._nodeid`, which pytest 9 no longer has), so
    the schema is built at import and the requests go to the module's running sandbox.
    """
    state = SandboxState(SandboxSettings())
    return create_app(state).app.openapi()


schema = schemathesis.openapi.from_dict(sandbox_openapi_document())


@pytest.mark.timeout(240)
@schema.include(path_regex=r"^/api/v2/").parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_sandbox_no_server_errors(case: Any, fuzz_sandbox: Any) -> None:
    headers = {"Authorization": f"Bearer {fuzz_sandbox.token}"}

    response = case.call(
        base_url=fuzz_sandbox.root_url, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS
    )

    assert response.status_code < 500, f"{case.method} {case.path}: {response.text[:500]}"


TEXT = st.text(max_size=40)
SMALL_IDS = st.integers(min_value=-5, max_value=10**12)
PHONES = st.one_of(
    TEXT,
    st.from_regex(r"\+?[0-9]{6,16}", fullmatch=True),
    st.sampled_from(["+966500000011", "٠٥٠٠٠٠٠٠١١", "00966500000011"]),
)

CLIENT_CALLS: dict[str, Callable[[RaslClient, st.DataObject], Any]] = {
    "send_text_message": lambda client, data: client.send_text_message(
        phone=data.draw(PHONES), message=data.draw(st.text(max_size=5000))
    ),
    "send_template_message": lambda client, data: client.send_template_message(
        phone=data.draw(PHONES),
        template_name=data.draw(st.sampled_from(["welcome_offer", "flash_sale", ""]) | TEXT),
        language=data.draw(st.sampled_from(["en", "ar"]) | TEXT),
        body=data.draw(st.none() | st.lists(TEXT, max_size=4)),
    ),
    "get_message": lambda client, data: client.get_message(data.draw(SMALL_IDS)),
    "list_messages": lambda client, data: client.list_messages(
        search=data.draw(st.none() | TEXT),
        page=data.draw(st.integers(min_value=-2, max_value=10**6)),
    ),
    "get_contact": lambda client, data: client.get_contact(data.draw(SMALL_IDS)),
    "list_contacts": lambda client, data: client.list_contacts(search=data.draw(st.none() | TEXT)),
    "create_contact": lambda client, data: client.create_contact(
        firstname=data.draw(TEXT),
        lastname=data.draw(TEXT),
        phone=data.draw(PHONES),
        source_id=data.draw(st.integers(min_value=-1, max_value=5)),
        status_id=data.draw(st.integers(min_value=-1, max_value=5)),
        email=data.draw(st.none() | TEXT | st.emails()),
    ),
    "create_group": lambda client, data: client.create_group(data.draw(st.text(max_size=300))),
    "get_group": lambda client, data: client.get_group(data.draw(SMALL_IDS)),
    "add_contacts_to_group": lambda client, data: client.add_contacts_to_group(
        data.draw(SMALL_IDS), data.draw(st.lists(SMALL_IDS, max_size=120))
    ),
    "batch_delete_contacts": lambda client, data: client.batch_delete_contacts(
        data.draw(st.lists(SMALL_IDS, max_size=120))
    ),
    "get_template": lambda client, data: client.get_template(data.draw(TEXT)),
    "verify_otp": lambda client, data: client.verify_otp(
        phone=data.draw(PHONES), code=data.draw(TEXT)
    ),
    "check_otp_status": lambda client, data: client.check_otp_status(phone=data.draw(PHONES)),
}


@pytest.fixture(scope="module")
def fuzz_client(fuzz_sandbox: Any) -> Iterator[RaslClient]:
    client = RaslClient(
        fuzz_sandbox.token,
        base_url=fuzz_sandbox.base_url,
        requests_per_minute=1_000_000,
        max_retry_wait_seconds=2,
        timeout_seconds=REQUEST_TIMEOUT_SECONDS,
    )
    yield client
    client.close()


@pytest.mark.timeout(180)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(CLIENT_CALLS)), data=st.data())
def test_client_raises_only_rasl_errors(
    fuzz_client: RaslClient, name: str, data: st.DataObject
) -> None:
    try:
        result = CLIENT_CALLS[name](fuzz_client, data)
    except RaslError as error:
        assert str(error), name
        return
    assert result is not None, name


def test_sandbox_schema_served(fuzz_sandbox: Any) -> None:
    response = httpx.get(f"{fuzz_sandbox.root_url}/openapi.json", timeout=10)

    assert response.status_code == 200
    assert response.json() == sandbox_openapi_document()


def test_multipart_without_boundary_rejected(fuzz_sandbox: Any) -> None:
    headers = {
        "Authorization": f"Bearer {fuzz_sandbox.token}",
        "Content-Type": "multipart/form-data",
    }

    response = httpx.post(
        f"{fuzz_sandbox.base_url}/messages/text", headers=headers, content=b"x", timeout=10
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("value", [[1], {"on": True}])
def test_boolean_field_container_rejected(fuzz_sandbox: Any, value: Any) -> None:
    body = {
        "phone": "+966500000011",
        "template_name": "otp_login",
        "language": "en",
        "auto_generate_otp": value,
    }

    response = httpx.post(
        f"{fuzz_sandbox.base_url}/messages/template",
        headers={"Authorization": f"Bearer {fuzz_sandbox.token}"},
        json=body,
        timeout=10,
    )

    assert response.status_code == 422
    assert "auto_generate_otp" in response.json()["error"]["details"]["errors"]


def test_template_id_control_character(fuzz_client: RaslClient) -> None:
    with pytest.raises(RaslError) as caught:
        fuzz_client.get_template("0\x1f0")

    assert caught.value.status_code == 404


@pytest.mark.parametrize("template_id", [".", ".."])
def test_template_id_dot_segment(fuzz_client: RaslClient, template_id: str) -> None:
    with pytest.raises(RaslError) as caught:
        fuzz_client.get_template(template_id)

    assert caught.value.code == "CLIENT_VALIDATION_ERROR"
