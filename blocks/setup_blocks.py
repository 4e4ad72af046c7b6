"""Register the rasl_prefect block types and create or update the blocks of a workspace file.

Usage:
    python blocks/setup_blocks.py [--file blocks/workspace.toml] [--only NAME] [--dry-run]

The script talks to the Prefect API that `PREFECT_API_URL` (or the active Prefect profile)
points at, and changes no setting, profile or environment variable. Running it again with
the same file and tokens changes nothing and reports every block as unchanged.

Exit codes: 0 when every block is in place, 1 when the Prefect API fails, 2 for bad input
(invalid workspace file, unknown --only name, missing or empty token variable).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import inspect
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workspace_spec import BlockSpec, WorkspaceFileError, load_workspace_file

if TYPE_CHECKING:
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.objects import BlockDocument

    from rasl_prefect.credentials import RaslCredentials

DEFAULT_WORKSPACE_FILE = Path(__file__).with_name("workspace.toml")

EXIT_OK = 0
EXIT_API_FAILED = 1
EXIT_BAD_INPUT = 2


class TokenError(Exception):
    """A token environment variable is missing, empty or malformed."""


@dataclass(frozen=True)
class SyncResult:
    """The outcome of setting up one block.

    Attributes:
        spec: The declared block.
        action: `created`, `updated` or `unchanged`.
        changed_fields: The fields whose saved value differed, for `updated`.
    """

    spec: BlockSpec
    action: str
    changed_fields: tuple[str, ...] = ()


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=(
            "Register the rasl_prefect block types and create or update the RASL credentials "
            "blocks declared in a workspace file. Tokens are read from the environment "
            "variables the file names."
        )
    )
    parser.add_argument(
        "--file",
        type=Path,
        default=DEFAULT_WORKSPACE_FILE,
        help="workspace TOML file (default: workspace.toml next to this script)",
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="set up only the named block; repeat to name several",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the file and tokens and report what would change, without saving",
    )
    return parser.parse_args(argv)


def select_specs(specs: list[BlockSpec], only: Sequence[str] | None) -> list[BlockSpec]:
    """Keep the specs named by `--only`, or all of them when it is not given.

    Raises:
        WorkspaceFileError: A name given to `--only` is not declared in the file.
    """
    if not only:
        return specs

    declared = [spec.name for spec in specs]
    unknown = [name for name in only if name not in declared]
    if unknown:
        raise WorkspaceFileError(
            [
                f"--only {name!r} is not declared in the workspace file; "
                f"the declared blocks are {', '.join(declared)}."
                for name in unknown
            ]
        )
    return [spec for spec in specs if spec.name in only]


def read_tokens(specs: Iterable[BlockSpec], environment: Mapping[str, str]) -> dict[str, str]:
    """Read every block's token from the environment, before anything is saved.

    Args:
        specs: The blocks to set up.
        environment: The process environment.

    Returns:
        The token of each block, by block name.

    Raises:
        TokenError: One or more variables are missing, empty or contain whitespace. The
            message lists each variable with its block and never contains a token.
    """
    tokens: dict[str, str] = {}
    problems: list[str] = []
    for spec in specs:
        token = environment.get(spec.token_env)
        if token is None:
            problems.append(
                f"Environment variable {spec.token_env} is not set; it contains the token of "
                f"block {spec.name!r}. Export it and run again."
            )
        elif not token:
            problems.append(
                f"Environment variable {spec.token_env} is empty; it contains the token of "
                f"block {spec.name!r}. Set it to the RASL API token and run again."
            )
        elif token != token.strip() or any(character.isspace() for character in token):
            # A trailing newline from a secrets file would otherwise be saved, and RASL
            # would then reject every request with HTTP 401.
            problems.append(
                f"Environment variable {spec.token_env} (block {spec.name!r}) contains "
                "whitespace; RASL tokens have none. Remove it, for example a trailing newline."
            )
        else:
            tokens[spec.name] = token

    if problems:
        raise TokenError("\n".join(problems))
    return tokens


def build_blocks(
    specs: Iterable[BlockSpec], tokens: Mapping[str, str]
) -> dict[str, RaslCredentials]:
    """Build one `RaslCredentials` per spec, so the block's own validators run before saving.

    Raises:
        WorkspaceFileError: The block rejected a value; the message names the entry and field.
    """
    from pydantic import SecretStr, ValidationError

    from rasl_prefect.credentials import RaslCredentials

    blocks: dict[str, RaslCredentials] = {}
    problems: list[str] = []
    for spec in specs:
        try:
            blocks[spec.name] = RaslCredentials(
                api_token=SecretStr(tokens[spec.name]), **spec.block_fields()
            )
        except ValidationError as error:
            # Only the location and message are shown, because pydantic's full text repeats
            # the input values.
            for detail in error.errors(include_input=False, include_url=False):
                field = ".".join(str(part) for part in detail["loc"])
                problems.append(f"Block {spec.name!r} has an invalid {field}: {detail['msg']}.")

    if problems:
        raise WorkspaceFileError(problems)
    return blocks


def find_block_classes() -> list[type[Any]]:
    """Return the block classes to register: those `rasl_prefect` exports, and `RaslCredentials`.

    This is the set `prefect block register -m rasl_prefect` registers, plus the credentials
    block that this script saves even when the package does not re-export it.
    """
    from prefect.blocks.core import Block

    import rasl_prefect
    from rasl_prefect.credentials import RaslCredentials

    classes: dict[str, type[Any]] = {}
    for _, member in inspect.getmembers(rasl_prefect):
        if Block.is_block_class(member) and member.__module__.startswith("rasl_prefect"):
            classes[member.get_block_type_slug()] = member
    classes.setdefault(RaslCredentials.get_block_type_slug(), RaslCredentials)
    return [classes[slug] for slug in sorted(classes)]


def register_block_types(block_classes: Iterable[type[Any]]) -> list[str]:
    """Register each block type and schema with the Prefect API; registration is idempotent.

    Returns:
        The slugs of the registered block types.
    """
    from prefect.blocks.core import InvalidBlockRegistration

    registered: list[str] = []
    for block_class in block_classes:
        try:
            block_class.register_type_and_schema()
        except InvalidBlockRegistration:
            # Abstract block interfaces cannot be registered; the Prefect CLI skips them too.
            continue
        registered.append(block_class.get_block_type_slug())
    return registered


def token_digest(token: str) -> bytes:
    """Return the SHA-256 digest of a token, so tokens are compared without being printed."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def find_changed_fields(saved: BlockDocument, desired: RaslCredentials) -> tuple[str, ...]:
    """Compare a saved block document with the desired block, field by field.

    Args:
        saved: The block document read with its secrets.
        desired: The block built from the workspace file and the environment.

    Returns:
        The names of the fields that differ, with `block schema` when the document was saved
        with an older schema of the block class. Empty when nothing differs.
    """
    from pydantic import ValidationError

    block_class = type(desired)
    try:
        stored = block_class.model_validate(saved.data)
    except ValidationError:
        return ("block schema",)

    changed: list[str] = []
    for field in block_class.model_fields:
        if field == "api_token":
            stored_digest = token_digest(stored.api_token.get_secret_value())
            desired_digest = token_digest(desired.api_token.get_secret_value())
            if not hmac.compare_digest(stored_digest, desired_digest):
                changed.append(field)
        elif getattr(stored, field) != getattr(desired, field):
            changed.append(field)

    saved_checksum = saved.block_schema.checksum if saved.block_schema else None
    if saved_checksum is not None and saved_checksum != block_class._calculate_schema_checksum():
        changed.append("block schema")
    return tuple(changed)


def sync_block(
    client: SyncPrefectClient, spec: BlockSpec, block: RaslCredentials, dry_run: bool
) -> SyncResult:
    """Create or update one block, or leave it when the saved values already match."""
    from prefect.exceptions import ObjectNotFound

    try:
        saved = client.read_block_document_by_name(
            name=spec.name, block_type_slug=block.get_block_type_slug(), include_secrets=True
        )
    except ObjectNotFound:
        if not dry_run:
            block.save(spec.name, overwrite=True)
        return SyncResult(spec, "created")

    changed_fields = find_changed_fields(saved, block)
    if not changed_fields:
        return SyncResult(spec, "unchanged")

    if not dry_run:
        block.save(spec.name, overwrite=True)
    return SyncResult(spec, "updated", changed_fields)


def format_result(result: SyncResult, dry_run: bool) -> str:
    """Format one output line: action, block name, rpm, scopes and the changed fields."""
    action = result.action
    if dry_run and action != "unchanged":
        action = f"would be {action}"

    line = (
        f"{action:<16} {result.spec.name:<20} rpm={result.spec.requests_per_minute:<5} "
        f"scopes={','.join(result.spec.scopes)}"
    )
    if result.changed_fields:
        line += f"  changed: {', '.join(result.changed_fields)}"
    return line


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in `text` with `***`, for error text that may echo a request."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def run(specs: list[BlockSpec], blocks: Mapping[str, RaslCredentials], dry_run: bool) -> int:
    """Register the block types, then set up each block and print one line per block."""
    from prefect.client.orchestration import get_client
    from prefect.settings import get_current_settings

    api_url = get_current_settings().api.url
    if api_url:
        print(f"Prefect API: {api_url}")
    else:
        print(
            "Prefect API: PREFECT_API_URL is not set, so Prefect uses its local ephemeral "
            "server and database. Set PREFECT_API_URL to set up a server's blocks."
        )

    with get_client(sync_client=True) as client:
        health_error = client.api_healthcheck()
        if health_error is not None:
            print(
                f"Cannot reach the Prefect API at {api_url or 'the ephemeral server'}: "
                f"{health_error}. Start the server or fix PREFECT_API_URL.",
                file=sys.stderr,
            )
            return EXIT_API_FAILED

        if not dry_run:
            for slug in register_block_types(find_block_classes()):
                print(f"registered block type {slug}")

        for spec in specs:
            result = sync_block(client, spec, blocks[spec.name], dry_run)
            print(format_result(result, dry_run))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit code."""
    arguments = parse_arguments(argv)

    try:
        specs = select_specs(load_workspace_file(arguments.file), arguments.only)
        tokens = read_tokens(specs, os.environ)
        blocks = build_blocks(specs, tokens)
    except (WorkspaceFileError, TokenError) as error:
        print(f"error: {error}", file=sys.stderr)
        print("Nothing was saved.", file=sys.stderr)
        return EXIT_BAD_INPUT

    try:
        return run(specs, blocks, arguments.dry_run)
    except Exception as error:
        # Any Prefect or HTTP failure ends the run here. Its text may echo a request body,
        # which carries the tokens, so they are removed before printing.
        message = redact(f"{type(error).__name__}: {error}", tokens.values())
        print(f"error: setting up the blocks failed: {message}", file=sys.stderr)
        if not arguments.dry_run:
            print(
                "Blocks reported above this line are saved; run the command again to finish.",
                file=sys.stderr,
            )
        return EXIT_API_FAILED


if __name__ == "__main__":
    sys.exit(main())
