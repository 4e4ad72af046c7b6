"""Per-token fixed-window rate limits: headers, 429 with and without Retry-After, and stats."""

from __future__ import annotations

import time
from typing import Any

import httpx
from sandbox_http import token_client


def limited_token(sandbox: Any, rpm: int, window_seconds: int = 60) -> str:
    return str(
        sandbox.admin.create_token(name=f"rpm{rpm}", rpm=rpm, window_seconds=window_seconds)[
            "token"
        ]
    )


def test_headers_on_success(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 5)) as client:
        before = time.time()
        response = client.get("/account")
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert before + 59 <= int(response.headers["X-RateLimit-Reset"]) <= before + 62


def test_headers_on_errors(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 5)) as client:
        not_found = client.get("/contacts/404")
        invalid = client.post("/contacts", json={})
    assert not_found.headers["X-RateLimit-Remaining"] == "4"
    assert invalid.headers["X-RateLimit-Remaining"] == "3"


def test_remaining_counts_down(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 4)) as client:
        remaining = [client.get("/account").headers["X-RateLimit-Remaining"] for _ in range(4)]
    assert remaining == ["3", "2", "1", "0"]


def test_429_with_retry_after(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 2)) as client:
        client.get("/account")
        client.get("/account")
        response = client.get("/account")
    body = response.json()
    assert response.status_code == 429
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Request-Id"] == body["meta"]["request_id"]


def test_429_without_retry_after(sandbox: Any) -> None:
    sandbox.admin.set_rate_limit(retry_after=False)
    with token_client(sandbox, limited_token(sandbox, 1)) as client:
        client.get("/account")
        response = client.get("/account")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert "X-RateLimit-Reset" in response.headers


def test_limit_is_per_token(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 1)) as first:
        first.get("/account")
        assert first.get("/account").status_code == 429
    with token_client(sandbox, limited_token(sandbox, 1)) as second:
        assert second.get("/account").status_code == 200


def test_window_resets(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 2, window_seconds=1)) as client:
        statuses = [client.get("/account").status_code for _ in range(3)]
        time.sleep(1.1)
        after = client.get("/account")
    assert statuses == [200, 200, 429]
    assert after.status_code == 200
    assert after.headers["X-RateLimit-Remaining"] == "1"


def test_server_window_setting(sandbox: Any) -> None:
    sandbox.admin.set_rate_limit(window_seconds=1)
    with token_client(sandbox, sandbox.admin.create_token(name="w", rpm=1)["token"]) as client:
        client.get("/account")
        limited = client.get("/account")
        time.sleep(1.1)
        again = client.get("/account")
    assert limited.status_code == 429
    assert again.status_code == 200


def test_rejections_not_counted(sandbox: Any) -> None:
    token = sandbox.admin.create_token(name="counted", rpm=3, window_seconds=1)
    with token_client(sandbox, token["token"]) as client:
        statuses = [client.get("/account").status_code for _ in range(8)]
        time.sleep(1.1)
        client.get("/account")
    windows = sandbox.admin.stats()["tokens"][str(token["id"])]["windows"]
    assert statuses.count(200) == 3
    assert [window["accepted"] for window in windows] == [3, 1]
    assert windows[0]["limit"] == 3


def test_stats_routes_and_statuses(sandbox: Any) -> None:
    with token_client(sandbox, limited_token(sandbox, 2)) as client:
        for _ in range(3):
            client.get("/contacts/7")
    stats = sandbox.admin.stats()
    assert stats["routes"]["GET /api/v2/contacts/{contact_id}"] == {"404": 2, "429": 1}
    assert stats["rate_limited"] == 1
    assert stats["statuses"]["404"] == 2
    assert stats["total"] == 3


def test_stats_reset_clears(sandbox: Any, api: httpx.Client) -> None:
    api.get("/account")
    sandbox.admin.reset()
    assert sandbox.admin.stats()["total"] == 0
