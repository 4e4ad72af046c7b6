"""Each task's Prefect settings: its name, retries, retry condition and cache policy."""

from __future__ import annotations

import inspect
import re
import textwrap

import pytest
from prefect import Task
from prefect.cache_policies import NO_CACHE

from rasl_prefect import RaslCredentials, tasks
from rasl_prefect.tasks.policies import SIDE_EFFECT_CACHE_POLICY, retry_if_retryable

READ_TASKS = [
    "list_messages",
    "get_message",
    "check_otp_status",
    "list_authentication_templates",
    "list_templates",
    "get_template",
    "list_contacts",
    "get_contact",
    "list_groups",
    "get_group",
    "get_account_info",
    "get_usage_statistics",
    "get_plan_limits",
]
CACHED_WRITE_TASKS = [
    "send_text_message",
    "send_media_message",
    "send_template_message",
    "send_interactive_message",
    "send_otp",
    "verify_otp",
    "create_contact",
    "batch_create_contacts",
    "create_group",
]
UNCACHED_WRITE_TASKS = [
    "resend_otp",
    "sync_templates",
    "update_contact",
    "delete_contact",
    "batch_delete_contacts",
    "update_group",
    "delete_group",
    "add_contacts_to_group",
    "remove_contacts_from_group",
]
ALL_TASKS = READ_TASKS + CACHED_WRITE_TASKS + UNCACHED_WRITE_TASKS


def get_task(name: str) -> Task[..., object]:
    task_object = getattr(tasks, name)
    assert isinstance(task_object, Task)
    return task_object


def test_every_endpoint_has_task() -> None:
    assert len(ALL_TASKS) == 31
    task_names = [name for name in tasks.__all__ if isinstance(getattr(tasks, name), Task)]
    assert sorted(task_names) == sorted(ALL_TASKS)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_task_name_matches_function(name: str) -> None:
    task_object = get_task(name)

    assert task_object.name == name
    assert task_object.fn.__name__ == name
    assert task_object.description


@pytest.mark.parametrize("name", ALL_TASKS)
def test_task_is_sync_with_credentials(name: str) -> None:
    task_object = get_task(name)
    first_parameter = next(iter(inspect.signature(task_object.fn).parameters.values()))

    assert not task_object.isasync
    assert first_parameter.name == "credentials"
    assert first_parameter.annotation in (RaslCredentials, "RaslCredentials")


@pytest.mark.parametrize("name", ALL_TASKS)
def test_task_docstring_has_example(name: str) -> None:
    docstring = get_task(name).fn.__doc__ or ""

    assert "Examples:" in docstring
    assert "@flow" in docstring
    assert 'RaslCredentials.load("BLOCK_NAME")' in docstring
    assert re.search(rf"{name}\(\s*credentials", docstring)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_task_example_compiles(name: str) -> None:
    docstring = inspect.getdoc(get_task(name).fn) or ""
    example = re.search(r"```python\n(.*?)```", docstring, re.DOTALL)

    assert example is not None
    compile(textwrap.dedent(example.group(1)), f"{name} example", "exec")


@pytest.mark.parametrize("name", READ_TASKS)
def test_read_task_retries_retryable(name: str) -> None:
    task_object = get_task(name)

    assert task_object.retries > 0
    assert task_object.retry_condition_fn is retry_if_retryable
    assert task_object.cache_policy == NO_CACHE


@pytest.mark.parametrize("name", CACHED_WRITE_TASKS)
def test_send_task_cached_per_run(name: str) -> None:
    task_object = get_task(name)

    assert task_object.retries == 0
    assert task_object.retry_condition_fn is retry_if_retryable
    if name == "send_otp":
        assert task_object.cache_policy == SIDE_EFFECT_CACHE_POLICY - "code"
    else:
        assert task_object.cache_policy is SIDE_EFFECT_CACHE_POLICY
    assert task_object.persist_result is True


@pytest.mark.parametrize("name", UNCACHED_WRITE_TASKS)
def test_write_task_never_retried(name: str) -> None:
    task_object = get_task(name)

    assert task_object.retries == 0
    assert task_object.retry_condition_fn is retry_if_retryable
    assert task_object.cache_policy == NO_CACHE
