"""Tests of blocks/workspace.toml and blocks/setup_blocks.py.

The end-to-end tests run the script as a user would, in a subprocess against the session's
temporary Prefect server, with made-up tokens in the environment.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rasl_prefect.credentials import RaslCredentials

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]
BLOCKS_DIRECTORY = REPOSITORY_ROOT / "blocks"
SETUP_SCRIPT = BLOCKS_DIRECTORY / "setup_blocks.py"
WORKSPACE_FILE = BLOCKS_DIRECTORY / "workspace.toml"
SCRIPT_TIMEOUT_SECONDS = 180


def _load_module(name: str) -> ModuleType:
    # blocks/ is not a package, so its modules are loaded by path under their script names.
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BLOCKS_DIRECTORY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


workspace_spec = _load_module("workspace_spec")
setup_blocks = _load_module("setup_blocks")


def _script_environment(api_url: str, tokens: Mapping[str, str]) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("RASL_")}
    environment.update(tokens)
    environment["PREFECT_API_URL"] = api_url
    environment["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    environment["DO_NOT_TRACK"] = "1"
    return environment


def run_setup(
    arguments: list[str], api_url: str, tokens: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the setup script as a user would and return its exit code and output."""
    return subprocess.run(
        [sys.executable, str(SETUP_SCRIPT), *arguments],
        env=_script_environment(api_url, tokens),
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_SECONDS,
        check=False,
    )


def output_lines_by_block(stdout: str) -> dict[str, str]:
    """Map each block name in the script's output to its whole line."""
    lines: dict[str, str] = {}
    for line in stdout.splitlines():
        words = line.split()
        for index, word in enumerate(words):
            if word.startswith("rpm=") and index > 0:
                lines[words[index - 1]] = line
    return lines


def assert_no_token_in_output(
    result: subprocess.CompletedProcess[str], tokens: Mapping[str, str]
) -> None:
    for variable, token in tokens.items():
        assert token not in result.stdout, f"token of {variable} printed on stdout"
        assert token not in result.stderr, f"token of {variable} printed on stderr"


def write_workspace(path: Path, entries: list[str]) -> Path:
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def block_entry(
    name: str, token_env: str, scopes: list[str], rpm: int = 60, extra: str = ""
) -> str:
    scope_list = ", ".join(f'"{scope}"' for scope in scopes)
    return (
        f'[[blocks]]\nname = "{name}"\ntoken_env = "{token_env}"\n'
        f"scopes = [{scope_list}]\nrequests_per_minute = {rpm}\n{extra}\n"
    )


# Unit tests of the workspace file; they need no Prefect server.


def test_shipped_file_declares_recommended_blocks() -> None:
    specs = workspace_spec.load_workspace_file(WORKSPACE_FILE)

    names = [spec.name for spec in specs]

    assert names == [
        "rasl-sender",
        "rasl-importer",
        "rasl-campaigns",
        "rasl-reporter",
        "rasl-templates",
        "rasl-cleanup",
        "rasl-notifier",
    ]


def test_shipped_file_scopes_are_fewest() -> None:
    specs = {spec.name: spec for spec in workspace_spec.load_workspace_file(WORKSPACE_FILE)}

    assert specs["rasl-sender"].scopes == ("messages:send",)
    assert set(specs["rasl-importer"].scopes) == {
        "contacts:read",
        "contacts:write",
        "groups:read",
        "groups:write",
        "templates:read",
    }
    assert set(specs["rasl-campaigns"].scopes) == {
        "contacts:read",
        "contacts:write",
        "groups:read",
        "groups:write",
        "templates:read",
        "messages:send",
    }
    assert set(specs["rasl-reporter"].scopes) == {"messages:read", "account:read", "templates:read"}
    assert set(specs["rasl-templates"].scopes) == {"templates:read", "templates:sync"}
    assert set(specs["rasl-cleanup"].scopes) == {"contacts:read", "contacts:delete", "groups:read"}
    assert specs["rasl-notifier"].scopes == ("messages:send",)


def test_shipped_file_names_variables_not_tokens() -> None:
    specs = workspace_spec.load_workspace_file(WORKSPACE_FILE)

    for spec in specs:
        assert spec.token_env.startswith("RASL_"), spec.name
        assert spec.token_env.endswith("_TOKEN"), spec.name


def test_shipped_file_parses_same_with_toml_package() -> None:
    # Python 3.10 has no tomllib, so the script falls back to the `toml` package there.
    import toml
    import tomllib

    text = WORKSPACE_FILE.read_text(encoding="utf-8")

    assert toml.loads(text) == tomllib.loads(text)


def test_entry_optional_fields_pass_through() -> None:
    text = block_entry(
        "rasl-x",
        "RASL_X_TOKEN",
        ["messages:send"],
        extra=(
            'base_url = "http://127.0.0.1:9/api/v2"\nauth_header = "x-api-key"\n'
            'concurrency_limit_name = "rasl-x"\ntimeout_seconds = 5\nmax_retries = 0\n'
            "max_retry_wait_seconds = 0"
        ),
    )

    (spec,) = workspace_spec.parse_workspace(text)

    assert spec.block_fields() == {
        "scopes": ["messages:send"],
        "requests_per_minute": 60,
        "base_url": "http://127.0.0.1:9/api/v2",
        "auth_header": "x-api-key",
        "concurrency_limit_name": "rasl-x",
        "timeout_seconds": 5,
        "max_retries": 0,
        "max_retry_wait_seconds": 0,
    }


INVALID_FILES = [
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:write"]),
        ["blocks[0] ('rasl-a')", "unknown scope 'messages:write'", "messages:send"],
        id="unknown-scope",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["contacts: write"]),
        ["unknown scope 'contacts: write'", "contacts:write"],
        id="scope-with-space",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send", "messages:send"]),
        ["messages:send more than once"],
        id="repeated-scope",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", []),
        ["blocks[0] ('rasl-a') has scopes []", "non-empty list"],
        id="empty-scopes",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], rpm=0),
        ["requests_per_minute = 0", "whole number of at least 1"],
        id="zero-rpm",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"]).replace("= 60", "= 1.5"),
        ["requests_per_minute = 1.5"],
        id="fractional-rpm",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"]).replace("= 60", '= "60"'),
        ["requests_per_minute = '60'"],
        id="string-rpm",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"]).replace("= 60", "= true"),
        ["requests_per_minute = True"],
        id="boolean-rpm",
    ),
    pytest.param(
        '[[blocks]]\nname = "rasl-a"\nscopes = ["messages:send"]\nrequests_per_minute = 60\n',
        ["blocks[0] ('rasl-a') is missing token_env"],
        id="missing-token-env",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"])
        + block_entry("rasl-a", "RASL_B_TOKEN", ["messages:read"]),
        ["block name 'rasl-a' is declared more than once"],
        id="duplicate-name",
    ),
    pytest.param(
        block_entry("Rasl Sender", "RASL_A_TOKEN", ["messages:send"]),
        ["invalid name 'Rasl Sender'", "lowercase letters, digits and dashes"],
        id="invalid-name",
    ),
    pytest.param(
        block_entry("rasl-a", "rk_live 123", ["messages:send"]),
        ["invalid token_env", "never the token itself"],
        id="token-instead-of-variable",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], extra="scope = 1"),
        ["unknown key(s) scope"],
        id="unknown-key",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], extra='base_url = "getrasl.io"'),
        ["base_url 'getrasl.io'", "http:// or https://"],
        id="base-url-without-scheme",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], extra='auth_header = "bearer"'),
        ["auth_header 'bearer'", "'authorization' or 'x-api-key'"],
        id="unknown-auth-header",
    ),
    pytest.param(
        block_entry(
            "rasl-a", "RASL_A_TOKEN", ["messages:send"], extra='concurrency_limit_name = ""'
        ),
        ["concurrency_limit_name ''", "leave the key out"],
        id="empty-limit-name",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], extra="timeout_seconds = 0"),
        ["timeout_seconds = 0", "greater than 0"],
        id="zero-timeout",
    ),
    pytest.param(
        block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"], extra="max_retries = -1"),
        ["max_retries = -1", "at least 0"],
        id="negative-retries",
    ),
    pytest.param("[blocks\nname = 1", ["is not valid TOML"], id="not-toml"),
    pytest.param("", ["declares no blocks"], id="no-blocks"),
    pytest.param(
        "[defaults]\nrpm = 60\n" + block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"]),
        ["unknown top-level key(s) defaults"],
        id="unknown-table",
    ),
]


@pytest.mark.parametrize(("text", "expected_parts"), INVALID_FILES)
def test_invalid_file_names_entry_and_fix(text: str, expected_parts: list[str]) -> None:
    with pytest.raises(workspace_spec.WorkspaceFileError) as caught:
        workspace_spec.parse_workspace(text, source="test.toml")

    message = str(caught.value)
    for part in expected_parts:
        assert part in message


def test_invalid_file_lists_every_problem() -> None:
    text = block_entry("rasl-a", "RASL_A_TOKEN", ["nope"], rpm=0) + block_entry(
        "rasl-b", "RASL_B_TOKEN", ["messages:send"], extra="max_retries = 1.5"
    )

    with pytest.raises(workspace_spec.WorkspaceFileError) as caught:
        workspace_spec.parse_workspace(text)

    assert len(caught.value.problems) == 3


def test_missing_file_names_path() -> None:
    with pytest.raises(workspace_spec.WorkspaceFileError) as caught:
        workspace_spec.load_workspace_file(Path("/nonexistent/workspace.toml"))

    assert "/nonexistent/workspace.toml" in str(caught.value)
    assert "--file" in str(caught.value)


# Unit tests of the token checks and the --only selection.


def _specs(*names: str) -> list[Any]:
    text = "".join(
        block_entry(name, f"RASL_{index}_TOKEN", ["messages:send"])
        for index, name in enumerate(names)
    )
    return workspace_spec.parse_workspace(text)


def test_tokens_missing_variable_named() -> None:
    specs = _specs("rasl-a", "rasl-b")

    with pytest.raises(setup_blocks.TokenError) as caught:
        setup_blocks.read_tokens(specs, {"RASL_0_TOKEN": "token-a"})

    assert "RASL_1_TOKEN is not set" in str(caught.value)
    assert "'rasl-b'" in str(caught.value)
    assert "RASL_0_TOKEN" not in str(caught.value)


def test_tokens_empty_variable_rejected() -> None:
    specs = _specs("rasl-a")

    with pytest.raises(setup_blocks.TokenError) as caught:
        setup_blocks.read_tokens(specs, {"RASL_0_TOKEN": ""})

    assert "RASL_0_TOKEN is empty" in str(caught.value)


def test_tokens_trailing_newline_rejected() -> None:
    specs = _specs("rasl-a")

    with pytest.raises(setup_blocks.TokenError) as caught:
        setup_blocks.read_tokens(specs, {"RASL_0_TOKEN": "token-with-newline\n"})

    assert "contains whitespace" in str(caught.value)
    assert "token-with-newline" not in str(caught.value)


def test_tokens_read_by_block_name() -> None:
    specs = _specs("rasl-a", "rasl-b")

    tokens = setup_blocks.read_tokens(specs, {"RASL_0_TOKEN": "token-a", "RASL_1_TOKEN": "token-b"})

    assert tokens == {"rasl-a": "token-a", "rasl-b": "token-b"}


def test_only_unknown_name_lists_declared() -> None:
    specs = _specs("rasl-a", "rasl-b")

    with pytest.raises(workspace_spec.WorkspaceFileError) as caught:
        setup_blocks.select_specs(specs, ["rasl-c"])

    assert "--only 'rasl-c' is not declared" in str(caught.value)
    assert "rasl-a, rasl-b" in str(caught.value)


def test_only_keeps_named_blocks() -> None:
    specs = _specs("rasl-a", "rasl-b", "rasl-c")

    selected = setup_blocks.select_specs(specs, ["rasl-c", "rasl-a"])

    assert [spec.name for spec in selected] == ["rasl-a", "rasl-c"]


def test_redact_replaces_every_token() -> None:
    text = 'HTTP 422: {"api_token": "secret-one", "again": "secret-one secret-two"}'

    redacted = setup_blocks.redact(text, ["secret-one", "secret-two"])

    assert "secret-" not in redacted


def test_build_rejection_hides_token() -> None:
    spec = workspace_spec.BlockSpec(
        name="rasl-a",
        token_env="RASL_A_TOKEN",
        scopes=("messages:send",),
        requests_per_minute=60,
        optional_fields={"auth_header": "bearer"},
    )

    with pytest.raises(workspace_spec.WorkspaceFileError) as caught:
        setup_blocks.build_blocks([spec], {"rasl-a": "made-up-secret"})

    assert "Block 'rasl-a' has an invalid auth_header" in str(caught.value)
    assert "made-up-secret" not in str(caught.value)


def test_block_classes_include_credentials() -> None:
    from prefect.blocks.core import Block

    from rasl_prefect.credentials import RaslCredentials

    classes = setup_blocks.find_block_classes()

    assert RaslCredentials in classes
    for block_class in classes:
        assert issubclass(block_class, Block), block_class
        assert block_class.__module__.startswith("rasl_prefect"), block_class


# Unit tests of the comparison with a saved block document, built as the Prefect API returns it.


def _credentials(token: str = "made-up-token", rpm: int = 60) -> RaslCredentials:
    from pydantic import SecretStr

    from rasl_prefect.credentials import RaslCredentials

    return RaslCredentials(
        api_token=SecretStr(token), scopes=["messages:send"], requests_per_minute=rpm
    )


def _saved_document(block: RaslCredentials, checksum: str | None = None) -> Any:
    from prefect.client.schemas.objects import BlockDocument, BlockSchema

    data = block.model_dump(mode="json", context={"include_secrets": True})
    schema = BlockSchema(
        id=uuid.uuid4(),
        checksum=checksum or type(block)._calculate_schema_checksum(),
        block_type_id=None,
    )
    return BlockDocument(
        id=uuid.uuid4(),
        name="rasl-sender",
        data=data,
        block_schema_id=schema.id,
        block_schema=schema,
        block_type_id=uuid.uuid4(),
        block_type_name="RASL Credentials",
    )


def test_saved_data_carries_raw_token() -> None:
    saved = _saved_document(_credentials("made-up-raw"))

    assert saved.data["api_token"] == "made-up-raw"


def test_comparison_same_values_unchanged() -> None:
    saved = _saved_document(_credentials())

    assert setup_blocks.find_changed_fields(saved, _credentials()) == ()


def test_comparison_detects_new_token() -> None:
    saved = _saved_document(_credentials("made-up-old"))

    changed = setup_blocks.find_changed_fields(saved, _credentials("made-up-new"))

    assert changed == ("api_token",)


def test_comparison_detects_new_rpm() -> None:
    saved = _saved_document(_credentials(rpm=60))

    changed = setup_blocks.find_changed_fields(saved, _credentials(rpm=120))

    assert changed == ("requests_per_minute",)


def test_comparison_detects_old_schema() -> None:
    saved = _saved_document(_credentials(), checksum="sha256:older")

    changed = setup_blocks.find_changed_fields(saved, _credentials())

    assert changed == ("block schema",)


def test_comparison_invalid_saved_data() -> None:
    saved = _saved_document(_credentials())
    del saved.data["api_token"]

    changed = setup_blocks.find_changed_fields(saved, _credentials())

    assert changed == ("block schema",)


def test_result_line_shows_changes() -> None:
    (spec,) = _specs("rasl-a")
    result = setup_blocks.SyncResult(spec, "updated", ("api_token", "requests_per_minute"))

    line = setup_blocks.format_result(result, dry_run=True)

    assert line.startswith("would be updated")
    assert "rasl-a" in line
    assert "rpm=60" in line
    assert "scopes=messages:send" in line
    assert line.endswith("changed: api_token, requests_per_minute")


# The script as a subprocess, on paths that end before any Prefect API call.


def test_script_bad_file_exits_2(tmp_path: Path) -> None:
    workspace = write_workspace(
        tmp_path / "bad.toml", [block_entry("rasl-a", "RASL_A_TOKEN", ["x"])]
    )
    # Nothing listens on port 9 of 127.0.0.1, so any API call would fail with exit code 1.
    result = run_setup(
        ["--file", str(workspace)], "http://127.0.0.1:9/api", {"RASL_A_TOKEN": "t-1"}
    )

    assert result.returncode == 2
    assert "unknown scope 'x'" in result.stderr
    assert "Nothing was saved." in result.stderr
    assert result.stdout == ""


def test_script_unreachable_api_exits_1(tmp_path: Path) -> None:
    tokens = {"RASL_A_TOKEN": f"made-up-{uuid.uuid4().hex}"}
    workspace = write_workspace(
        tmp_path / "one.toml", [block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"])]
    )

    result = run_setup(["--file", str(workspace)], "http://127.0.0.1:9/api", tokens)

    assert result.returncode == 1
    assert "Cannot reach the Prefect API at http://127.0.0.1:9/api" in result.stderr
    assert_no_token_in_output(result, tokens)


def test_script_dry_run_unreachable_api(tmp_path: Path) -> None:
    tokens = {"RASL_A_TOKEN": f"made-up-{uuid.uuid4().hex}"}
    workspace = write_workspace(
        tmp_path / "one.toml", [block_entry("rasl-a", "RASL_A_TOKEN", ["messages:send"])]
    )

    result = run_setup(["--file", str(workspace), "--dry-run"], "http://127.0.0.1:9/api", tokens)

    assert result.returncode == 1
    assert "Cannot reach the Prefect API" in result.stderr
    assert "are saved" not in result.stderr
    assert_no_token_in_output(result, tokens)


# End-to-end tests against the session's temporary Prefect server.


def _prefect_server_import_error() -> str | None:
    try:
        import prefect.server.api.server  # noqa: F401
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


@pytest.fixture(scope="module")
def api_url(request: pytest.FixtureRequest) -> str:
    """Return the session server's API URL, or skip when Prefect's server cannot start here."""
    import_error = _prefect_server_import_error()
    if import_error is not None:
        # A fastapi release that Prefect does not support breaks the server's import (fastapi
        # 0.162.5 with Prefect 3.8.8 did), and the skip reason then shows the error.
        pytest.skip(f"Prefect's server cannot start in this environment: {import_error}")
    return str(request.getfixturevalue("prefect_server"))


Workspace = tuple[Path, list[str], dict[str, str]]


def make_workspace(directory: Path) -> Workspace:
    """Write a three-block workspace file with fresh names and made-up tokens."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    names = [f"{prefix}-sender", f"{prefix}-reporter", f"{prefix}-cleanup"]
    variables = ["RASL_TEST_SENDER_TOKEN", "RASL_TEST_REPORTER_TOKEN", "RASL_TEST_CLEANUP_TOKEN"]
    tokens = {variable: f"made-up-{uuid.uuid4().hex}" for variable in variables}
    path = write_workspace(
        directory / "workspace.toml",
        [
            block_entry(names[0], variables[0], ["messages:send"], rpm=90),
            block_entry(
                names[1],
                variables[1],
                ["messages:read", "account:read", "templates:read"],
                extra='auth_header = "x-api-key"\nbase_url = "http://127.0.0.1:9/api/v2"',
            ),
            block_entry(
                names[2],
                variables[2],
                ["contacts:read", "contacts:delete", "groups:read"],
                rpm=30,
                extra='concurrency_limit_name = "rasl-test-cleanup"\nmax_retries = 2',
            ),
        ],
    )
    return path, names, tokens


@pytest.fixture()
def workspace(tmp_path: Path) -> Workspace:
    return make_workspace(tmp_path)


@pytest.fixture(scope="module")
def first_run(
    api_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workspace, subprocess.CompletedProcess[str]]:
    """Run the script once on a fresh workspace, for the tests that only read its outcome."""
    workspace = make_workspace(tmp_path_factory.mktemp("first-run"))
    path, _, tokens = workspace
    return workspace, run_setup(["--file", str(path)], api_url, tokens)


def load_block(name: str) -> RaslCredentials:
    from rasl_prefect.credentials import RaslCredentials

    block = RaslCredentials.load(name)
    assert isinstance(block, RaslCredentials)
    return block


def block_exists(name: str) -> bool:
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_block_document_by_name(name=name, block_type_slug="rasl-credentials")
        except ObjectNotFound:
            return False
    return True


def test_first_run_creates_blocks(first_run: tuple[Workspace, Any]) -> None:
    (_, names, tokens), result = first_run

    assert result.returncode == 0, result.stderr
    lines = output_lines_by_block(result.stdout)
    for name in names:
        assert lines[name].startswith("created"), lines[name]
    assert "rpm=90" in lines[names[0]]
    assert "scopes=messages:send" in lines[names[0]]
    assert "scopes=contacts:read,contacts:delete,groups:read" in lines[names[2]]
    assert "registered block type rasl-credentials" in result.stdout
    assert "registered block type rasl-whatsapp-notification" in result.stdout
    assert_no_token_in_output(result, tokens)


def test_created_blocks_match_file(first_run: tuple[Workspace, Any]) -> None:
    (_, names, tokens), _ = first_run

    sender = load_block(names[0])
    reporter = load_block(names[1])
    cleanup = load_block(names[2])

    assert sender.api_token.get_secret_value() == tokens["RASL_TEST_SENDER_TOKEN"]
    assert sender.scopes == ["messages:send"]
    assert sender.requests_per_minute == 90
    assert sender.auth_header == "authorization"
    assert sender.base_url == "https://getrasl.io/api/v2"
    assert sender.concurrency_limit_name is None
    assert reporter.api_token.get_secret_value() == tokens["RASL_TEST_REPORTER_TOKEN"]
    assert reporter.auth_header == "x-api-key"
    assert reporter.base_url == "http://127.0.0.1:9/api/v2"
    assert cleanup.api_token.get_secret_value() == tokens["RASL_TEST_CLEANUP_TOKEN"]
    assert cleanup.requests_per_minute == 30
    assert cleanup.concurrency_limit_name == "rasl-test-cleanup"
    assert cleanup.max_retries == 2


def test_second_run_reports_unchanged(api_url: str, first_run: tuple[Workspace, Any]) -> None:
    (path, names, tokens), _ = first_run
    before = {name: load_block(name).model_dump() for name in names}
    tokens_before = {name: load_block(name).api_token.get_secret_value() for name in names}

    result = run_setup(["--file", str(path)], api_url, tokens)

    assert result.returncode == 0, result.stderr
    lines = output_lines_by_block(result.stdout)
    for name in names:
        assert lines[name].startswith("unchanged"), lines[name]
        assert load_block(name).model_dump() == before[name]
        assert load_block(name).api_token.get_secret_value() == tokens_before[name]
    assert_no_token_in_output(result, tokens)


def test_changed_token_updates_one_block(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace
    run_setup(["--file", str(path)], api_url, tokens)
    new_tokens = {**tokens, "RASL_TEST_REPORTER_TOKEN": f"made-up-{uuid.uuid4().hex}"}

    result = run_setup(["--file", str(path)], api_url, new_tokens)

    assert result.returncode == 0, result.stderr
    lines = output_lines_by_block(result.stdout)
    assert lines[names[1]].startswith("updated"), lines[names[1]]
    assert "changed: api_token" in lines[names[1]]
    assert lines[names[0]].startswith("unchanged"), lines[names[0]]
    assert lines[names[2]].startswith("unchanged"), lines[names[2]]
    reporter = load_block(names[1])
    assert reporter.api_token.get_secret_value() == new_tokens["RASL_TEST_REPORTER_TOKEN"]
    assert load_block(names[0]).api_token.get_secret_value() == tokens["RASL_TEST_SENDER_TOKEN"]
    assert_no_token_in_output(result, {**tokens, "new": new_tokens["RASL_TEST_REPORTER_TOKEN"]})


def test_changed_rpm_updates_block(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace
    run_setup(["--file", str(path)], api_url, tokens)
    path.write_text(
        path.read_text().replace("requests_per_minute = 90", "requests_per_minute = 45")
    )

    result = run_setup(["--file", str(path)], api_url, tokens)

    lines = output_lines_by_block(result.stdout)
    assert lines[names[0]].startswith("updated"), lines[names[0]]
    assert "changed: requests_per_minute" in lines[names[0]]
    assert load_block(names[0]).requests_per_minute == 45


def test_missing_variable_creates_nothing(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace
    partial_tokens = {
        key: value for key, value in tokens.items() if key != "RASL_TEST_CLEANUP_TOKEN"
    }

    result = run_setup(["--file", str(path)], api_url, partial_tokens)

    assert result.returncode == 2
    assert "RASL_TEST_CLEANUP_TOKEN is not set" in result.stderr
    assert f"block '{names[2]}'" in result.stderr
    assert "Nothing was saved." in result.stderr
    for name in names:
        assert not block_exists(name), name
    assert_no_token_in_output(result, tokens)


def test_bad_file_creates_nothing(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace
    path.write_text(path.read_text().replace('"groups:read"', '"groups:admin"'))

    result = run_setup(["--file", str(path)], api_url, tokens)

    assert result.returncode == 2
    assert f"blocks[2] ('{names[2]}') has unknown scope 'groups:admin'" in result.stderr
    for name in names:
        assert not block_exists(name), name


def test_only_sets_up_named_block(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace

    result = run_setup(["--file", str(path), "--only", names[1]], api_url, tokens)

    assert result.returncode == 0, result.stderr
    assert list(output_lines_by_block(result.stdout)) == [names[1]]
    assert block_exists(names[1])
    assert not block_exists(names[0])


def test_dry_run_saves_nothing(api_url: str, workspace: Workspace) -> None:
    path, names, tokens = workspace

    result = run_setup(["--file", str(path), "--dry-run"], api_url, tokens)

    assert result.returncode == 0, result.stderr
    lines = output_lines_by_block(result.stdout)
    for name in names:
        assert lines[name].startswith("would be created"), lines[name]
        assert not block_exists(name), name
