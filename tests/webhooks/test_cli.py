"""The `webhooks` command started as a subprocess on 127.0.0.1, and its option handling."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from rasl_prefect.webhooks.cli import add_arguments, build_settings
from rasl_prefect.webhooks.settings import WebhookSettingsError
from tests.webhooks.conftest import serve

SECRET = "cli-secret-%&$!"
STARTUP_TIMEOUT_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def prefect_api_stub() -> Iterator[str]:
    """Serve a stand-in Prefect API that responds only to the command's health check."""

    async def health(request: object) -> JSONResponse:
        return JSONResponse(True)

    app = Starlette(routes=[Route("/api/health", health)])
    with serve(app) as base_url:
        yield f"{base_url}/api"


def _environment(prefect_api_url: str | None, **variables: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PREFECT_API_URL", "RASL_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET")
    }
    environment.update(
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_HOME=tempfile.mkdtemp(prefix="rasl-webhooks-cli-"),
        **variables,
    )
    if prefect_api_url is not None:
        environment["PREFECT_API_URL"] = prefect_api_url
    return environment


def _start(arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "rasl_prefect.webhooks", *arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until_healthy(port: int, process: subprocess.Popen[str]) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the receiver did not answer /healthz in time")


def _stop(process: subprocess.Popen[str], signal_number: int) -> tuple[int, str]:
    process.send_signal(signal_number)
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["term", "int"])
def test_cli_starts_and_stops(prefect_api_stub: str, signal_number: int) -> None:
    port = _free_port()
    process = _start(
        ["--port", str(port)], _environment(prefect_api_stub, RASL_WEBHOOK_SECRET=SECRET)
    )

    try:
        health = _wait_until_healthy(port, process)
    finally:
        returncode, output = _stop(process, signal_number)

    assert health.json() == {"status": "ok", "endpoints": ["rasl"]}
    assert returncode == 0
    assert "Webhook receiver stopped" in output
    assert SECRET not in output


def test_cli_secret_file(prefect_api_stub: str, tmp_path: Path) -> None:
    secret_file = tmp_path / "woocommerce-secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    port = _free_port()
    process = _start(
        ["--port", str(port), "--woocommerce-secret-file", str(secret_file)],
        _environment(prefect_api_stub),
    )

    try:
        health = _wait_until_healthy(port, process)
        unsigned = httpx.post(f"http://127.0.0.1:{port}/woocommerce", content=b"{}", timeout=5)
    finally:
        returncode, output = _stop(process, signal.SIGTERM)

    assert health.json()["endpoints"] == ["woocommerce"]
    assert unsigned.status_code == 401
    assert returncode == 0
    assert SECRET not in output


def test_cli_without_secrets(prefect_api_stub: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasl_prefect.webhooks", "--port", str(_free_port())],
        env=_environment(prefect_api_stub),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "RASL_WEBHOOK_SECRET" in result.stderr


def test_cli_without_api_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasl_prefect.webhooks", "--port", str(_free_port())],
        env=_environment(None, RASL_WEBHOOK_SECRET=SECRET),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 2
    assert "PREFECT_API_URL is not set" in result.stderr


def test_cli_unreachable_prefect_api() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rasl_prefect.webhooks", "--port", str(_free_port())],
        env=_environment(f"http://127.0.0.1:{_free_port()}/api", RASL_WEBHOOK_SECRET=SECRET),
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert result.returncode == 1
    assert "did not respond to a health check" in result.stderr


def test_cli_port_in_use(prefect_api_stub: str) -> None:
    with socket.socket() as occupied:
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        port = occupied.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "rasl_prefect.webhooks", "--port", str(port)],
            env=_environment(prefect_api_stub, RASL_WEBHOOK_SECRET=SECRET),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1


def _parse(arguments: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(arguments)


def test_build_settings_empty_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASL_WEBHOOK_SECRET", "")

    with pytest.raises(WebhookSettingsError, match="RASL_WEBHOOK_SECRET is set but empty"):
        build_settings(_parse([]))


def test_build_settings_empty_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("RASL_WEBHOOK_SECRET", raising=False)
    empty = tmp_path / "empty"
    empty.write_text("\n", encoding="utf-8")

    with pytest.raises(WebhookSettingsError, match="is empty"):
        build_settings(_parse(["--rasl-secret-file", str(empty)]))


def test_build_settings_file_keeps_spaces(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WOOCOMMERCE_WEBHOOK_SECRET", raising=False)
    secret_file = tmp_path / "secret"
    secret_file.write_text(" padded secret \r\n", encoding="utf-8")

    settings = build_settings(_parse(["--woocommerce-secret-file", str(secret_file)]))

    assert settings.woocommerce_secret is not None
    assert settings.woocommerce_secret.get_secret_value() == " padded secret "


def test_build_settings_invalid_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASL_WEBHOOK_SECRET", SECRET)

    with pytest.raises(WebhookSettingsError, match="rasl_secret_header") as raised:
        build_settings(_parse(["--rasl-secret-header", "X Bad: header"]))

    assert SECRET not in str(raised.value)


def test_settings_repr_hides_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RASL_WEBHOOK_SECRET", SECRET)

    settings = build_settings(_parse([]))

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings.model_dump())
