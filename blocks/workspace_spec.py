"""Read and validate the workspace file that declares the RASL credentials blocks.

This module imports nothing from Prefect, so a bad file is reported quickly and before
any connection to the Prefect API.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib

    TomlDecodeError: type[Exception] = tomllib.TOMLDecodeError

    def parse_toml(text: str) -> dict[str, Any]:
        return tomllib.loads(text)

else:
    # Python 3.10 has no tomllib. Prefect 3 lists `toml` as a dependency on every Python
    # version, so it is installed wherever rasl-prefect is.
    import toml

    TomlDecodeError = toml.TomlDecodeError

    def parse_toml(text: str) -> dict[str, Any]:
        return dict(toml.loads(text))


RASL_SCOPES = (
    "messages:send",
    "messages:read",
    "templates:read",
    "templates:sync",
    "contacts:read",
    "contacts:write",
    "contacts:delete",
    "groups:read",
    "groups:write",
    "account:read",
)
"""Every scope a RASL API v2 token can carry, as the RASL documentation names them."""
# NOTE: The RASL documentation names no scope for Delete Group, so no scope here allows it.

AUTH_HEADERS = ("authorization", "x-api-key")

REQUIRED_KEYS = ("name", "token_env", "scopes", "requests_per_minute")
OPTIONAL_KEYS = (
    "base_url",
    "auth_header",
    "concurrency_limit_name",
    "timeout_seconds",
    "max_retries",
    "max_retry_wait_seconds",
)

# Prefect accepts only these characters in a block document name.
BLOCK_NAME_PATTERN = re.compile(r"^[a-z0-9-]+$")
ENVIRONMENT_VARIABLE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WorkspaceFileError(Exception):
    """The workspace file is missing, is not valid TOML, or has invalid entries.

    Attributes:
        problems: One sentence per problem, each naming the entry and the fix.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class BlockSpec:
    """One declared RASL credentials block, without its token.

    Attributes:
        name: The block document name.
        token_env: The environment variable that contains the token.
        scopes: The token's scopes, in the order of the file.
        requests_per_minute: The token's requests-per-minute limit.
        optional_fields: The optional block fields the entry sets, by field name.
    """

    name: str
    token_env: str
    scopes: tuple[str, ...]
    requests_per_minute: int
    optional_fields: Mapping[str, Any]

    def block_fields(self) -> dict[str, Any]:
        """Return the `RaslCredentials` keyword arguments of this entry, except the token."""
        return {
            "scopes": list(self.scopes),
            "requests_per_minute": self.requests_per_minute,
            **self.optional_fields,
        }


def load_workspace_file(path: Path) -> list[BlockSpec]:
    """Read a workspace file and validate every entry.

    Args:
        path: The TOML file, usually `blocks/workspace.toml`.

    Returns:
        One `BlockSpec` per `[[blocks]]` entry, in file order.

    Raises:
        WorkspaceFileError: The file cannot be read, is not valid TOML, or has invalid entries.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WorkspaceFileError(
            [f"Cannot read workspace file {str(path)!r}: {error.strerror}. Check the --file path."]
        ) from error

    return parse_workspace(text, source=str(path))


def parse_workspace(text: str, source: str = "workspace file") -> list[BlockSpec]:
    """Parse and validate the text of a workspace file.

    Every problem in the file is collected before raising, so one run lists them all.

    Args:
        text: The TOML text.
        source: The file name to use in error messages.

    Returns:
        One `BlockSpec` per `[[blocks]]` entry, in file order.

    Raises:
        WorkspaceFileError: The text is not valid TOML or has invalid entries.
    """
    try:
        document = parse_toml(text)
    except TomlDecodeError as error:
        raise WorkspaceFileError([f"{source} is not valid TOML: {error}."]) from error

    unknown_tables = sorted(set(document) - {"blocks"})
    if unknown_tables:
        raise WorkspaceFileError(
            [
                f"{source}: unknown top-level key(s) {', '.join(unknown_tables)}; "
                "declare each block in a [[blocks]] table."
            ]
        )

    entries = document.get("blocks")
    if not isinstance(entries, list) or not entries:
        raise WorkspaceFileError(
            [f"{source} declares no blocks; add at least one [[blocks]] table."]
        )

    problems: list[str] = []
    specs: list[BlockSpec] = []
    for index, entry in enumerate(entries):
        spec = _validate_entry(index, entry, problems)
        if spec is not None:
            specs.append(spec)

    problems.extend(_find_duplicate_names(specs))
    if problems:
        raise WorkspaceFileError([f"{source}: {problem}" for problem in problems])
    return specs


def _describe_entry(index: int, entry: Mapping[str, Any]) -> str:
    name = entry.get("name")
    if isinstance(name, str) and name:
        return f"blocks[{index}] ({name!r})"
    return f"blocks[{index}]"


def _validate_entry(index: int, entry: Any, problems: list[str]) -> BlockSpec | None:
    if not isinstance(entry, dict):
        problems.append(f"blocks[{index}] must be a table; write it as [[blocks]].")
        return None

    label = _describe_entry(index, entry)
    count_before = len(problems)

    missing = [key for key in REQUIRED_KEYS if key not in entry]
    if missing:
        problems.append(f"{label} is missing {', '.join(missing)}; add the key(s).")

    unknown = sorted(set(entry) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        allowed = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
        problems.append(f"{label} has unknown key(s) {', '.join(unknown)}; the keys are {allowed}.")

    name = entry.get("name")
    if "name" in entry and not (isinstance(name, str) and BLOCK_NAME_PATTERN.match(name)):
        problems.append(
            f"{label} has invalid name {name!r}; use lowercase letters, digits and dashes, "
            "such as 'rasl-sender'."
        )

    token_env = entry.get("token_env")
    if "token_env" in entry and not (
        isinstance(token_env, str) and ENVIRONMENT_VARIABLE_PATTERN.match(token_env)
    ):
        problems.append(
            f"{label} has invalid token_env {token_env!r}; give the name of an environment "
            "variable, such as 'RASL_SENDER_TOKEN', never the token itself."
        )

    if "scopes" in entry:
        _check_scopes(label, entry["scopes"], problems)
    if "requests_per_minute" in entry:
        _check_integer(label, "requests_per_minute", entry["requests_per_minute"], 1, problems)
    _check_optional_fields(label, entry, problems)

    if len(problems) > count_before:
        return None
    return BlockSpec(
        name=entry["name"],
        token_env=entry["token_env"],
        scopes=tuple(entry["scopes"]),
        requests_per_minute=entry["requests_per_minute"],
        optional_fields={key: entry[key] for key in OPTIONAL_KEYS if key in entry},
    )


def _check_scopes(label: str, scopes: Any, problems: list[str]) -> None:
    if not isinstance(scopes, list) or not scopes:
        problems.append(
            f'{label} has scopes {scopes!r}; give a non-empty list, such as ["messages:send"].'
        )
        return

    known = ", ".join(RASL_SCOPES)
    for scope in scopes:
        if scope not in RASL_SCOPES:
            problems.append(f"{label} has unknown scope {scope!r}; the RASL scopes are {known}.")

    repeated = {scope for scope in scopes if isinstance(scope, str) and scopes.count(scope) > 1}
    duplicates = sorted(repeated)
    if duplicates:
        problems.append(f"{label} lists scope(s) {', '.join(duplicates)} more than once; keep one.")


def _check_integer(label: str, key: str, value: Any, minimum: int, problems: list[str]) -> None:
    # TOML booleans load as Python bools, which are ints, so they are rejected explicitly.
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.append(f"{label} has {key} = {value!r}; use a whole number of at least {minimum}.")


def _check_number(label: str, key: str, value: Any, problems: list[str], *, positive: bool) -> None:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or value < 0 or (positive and value == 0):
        bound = "greater than 0" if positive else "0 or more"
        problems.append(f"{label} has {key} = {value!r}; use a number of seconds {bound}.")


def _check_optional_fields(label: str, entry: Mapping[str, Any], problems: list[str]) -> None:
    base_url = entry.get("base_url")
    if "base_url" in entry and not (
        isinstance(base_url, str) and base_url.startswith(("http://", "https://"))
    ):
        problems.append(
            f"{label} has base_url {base_url!r}; use an http:// or https:// URL, "
            "such as 'https://getrasl.io/api/v2'."
        )

    auth_header = entry.get("auth_header")
    if "auth_header" in entry and auth_header not in AUTH_HEADERS:
        problems.append(
            f"{label} has auth_header {auth_header!r}; use 'authorization' or 'x-api-key'."
        )

    limit_name = entry.get("concurrency_limit_name")
    if "concurrency_limit_name" in entry and not (isinstance(limit_name, str) and limit_name):
        problems.append(
            f"{label} has concurrency_limit_name {limit_name!r}; give a limit name, "
            "or leave the key out to use no limit."
        )

    if "timeout_seconds" in entry:
        _check_number(label, "timeout_seconds", entry["timeout_seconds"], problems, positive=True)
    if "max_retry_wait_seconds" in entry:
        wait = entry["max_retry_wait_seconds"]
        _check_number(label, "max_retry_wait_seconds", wait, problems, positive=False)
    if "max_retries" in entry:
        _check_integer(label, "max_retries", entry["max_retries"], 0, problems)


def _find_duplicate_names(specs: list[BlockSpec]) -> list[str]:
    seen: set[str] = set()
    problems: list[str] = []
    for spec in specs:
        if spec.name in seen:
            problems.append(
                f"block name {spec.name!r} is declared more than once; "
                "give each [[blocks]] entry its own name."
            )
        seen.add(spec.name)
    return problems
