"""A small Python client of the sandbox's admin API (`/_sandbox`), for tests and scripts."""

from __future__ import annotations

from typing import Any

import httpx


class SandboxAdminError(RuntimeError):
    """An admin API request failed; the message carries the status and the sandbox's error text."""


class SandboxAdmin:
    """Calls the admin API of one running sandbox.

    Args:
        root_url: The sandbox root URL, such as `http://127.0.0.1:8787` (without `/api/v2`).
        timeout_seconds: Timeout of each admin request.
    """

    def __init__(self, root_url: str, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=root_url.rstrip("/") + "/_sandbox", timeout=timeout_seconds
        )

    def _call(
        self, method: str, path: str, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        response = self._client.request(method, path, json=json, params=params)
        if response.is_error:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise SandboxAdminError(
                f"{method} /_sandbox{path} failed with HTTP {response.status_code}: {message}"
            )
        return response.json()

    def health(self) -> dict[str, Any]:
        """Return `{"status": "ok"}` when the sandbox is up."""
        return self._call("GET", "/health")  # type: ignore[no-any-return]

    def reset(self) -> None:
        """Restore the seed data and turn faults, webhooks and clock offsets off; the seeded token "
        "stays."""
        self._call("POST", "/reset")

    def create_token(
        self,
        *,
        name: str = "token",
        scopes: list[str] | None = None,
        rpm: int | None = None,
        window_seconds: int | None = None,
        expires_at: str | None = None,
        expires_in_seconds: int | None = None,
    ) -> dict[str, Any]:
        """Create a token and return its record, whose `token` key is the value to send.

        Args:
            name: A label shown in stats.
            scopes: Scopes such as `messages:send`; all scopes when None.
            rpm: Requests allowed per window; the server's `--rpm` when None.
            window_seconds: This token's window length; the server's when None.
            expires_at: ISO 8601 expiry.
            expires_in_seconds: Expiry relative to now (negative makes an expired token).
        """
        body: dict[str, Any] = {"name": name}
        optional = {
            "scopes": scopes,
            "rpm": rpm,
            "window_seconds": window_seconds,
            "expires_at": expires_at,
            "expires_in_seconds": expires_in_seconds,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return self._call("POST", "/tokens", json=body)  # type: ignore[no-any-return]

    def list_tokens(self) -> list[dict[str, Any]]:
        """Return the token records, without token values."""
        return self._call("GET", "/tokens")["tokens"]  # type: ignore[no-any-return]

    def set_faults(self, **settings: Any) -> dict[str, Any]:
        """Replace the fault settings (see `FaultSettings`); keys left out are turned off."""
        return self._call("PUT", "/faults", json=settings)  # type: ignore[no-any-return]

    def clear_faults(self) -> None:
        """Turn every fault off."""
        self._call("PUT", "/faults", json={})

    def faults(self) -> dict[str, Any]:
        """Return the fault settings and the counts of injected faults."""
        return self._call("GET", "/faults")  # type: ignore[no-any-return]

    def set_rate_limit(
        self, *, retry_after: bool | None = None, window_seconds: int | None = None
    ) -> dict[str, Any]:
        """Choose whether 429s carry `Retry-After`, and the default window length in seconds."""
        body = {
            key: value
            for key, value in {"retry_after": retry_after, "window_seconds": window_seconds}.items()
            if value is not None
        }
        return self._call("PATCH", "/settings", json=body)  # type: ignore[no-any-return]

    def update_plan(self, **values: Any) -> dict[str, Any]:
        """Change plan `limits`, `features` and switches such as `whatsapp_configured`."""
        return self._call("PATCH", "/plan", json=values)  # type: ignore[no-any-return]

    def advance_clock(self, seconds: int) -> dict[str, Any]:
        """Move the sandbox clock forward (OTP expiry, OTP limits, 24-hour window)."""
        return self._call("POST", "/clock", json={"advance_seconds": seconds})  # type: ignore[no-any-return]

    def add_inbound_message(
        self, phone: str, message: str = "Hello", message_type: str = "text"
    ) -> dict[str, Any]:
        """Record a message from `phone`, which opens its 24-hour window."""
        return self._call(
            "POST", "/inbound", json={"phone": phone, "message": message, "type": message_type}
        )  # type: ignore[no-any-return]

    def otp_codes(self, phone: str | None = None) -> list[dict[str, Any]]:
        """Return the OTP codes sent, oldest first, optionally for one phone."""
        params = {"phone": phone} if phone else None
        return self._call("GET", "/otp-codes", params=params)["codes"]  # type: ignore[no-any-return]

    def latest_otp_code(self, phone: str) -> str:
        """Return the last OTP code sent to `phone`.

        Raises:
            SandboxAdminError: No code was sent to the phone.
        """
        codes = self.otp_codes(phone)
        if not codes:
            raise SandboxAdminError(f"No OTP code was sent to a phone ending in {phone[-4:]}.")
        return str(codes[-1]["code"])

    def advance_message_status(
        self, to: str, ids: list[int] | None = None, reason: str | None = None
    ) -> int:
        """Move messages (all outbound ones when `ids` is None) to `delivered`, `read` or `failed`.

        Returns:
            How many messages changed.
        """
        body: dict[str, Any] = {"to": to}
        if ids is not None:
            body["ids"] = ids
        if reason is not None:
            body["reason"] = reason
        return int(self._call("POST", "/messages/advance", json=body)["updated"])

    def set_opt_out(self, contact_id: int, opted_out: bool = True) -> dict[str, Any]:
        """Opt a contact out of (or back into) messages."""
        return self._call("POST", f"/contacts/{contact_id}/opt-out", json={"opted_out": opted_out})  # type: ignore[no-any-return]

    def add_template(self, **values: Any) -> dict[str, Any]:
        """Add a template: template_name, language, category, body, optional status and header."""
        return self._call("POST", "/templates", json=values)  # type: ignore[no-any-return]

    def create_source(self, name: str) -> dict[str, Any]:
        """Create a contact source."""
        return self._call("POST", "/sources", json={"name": name})  # type: ignore[no-any-return]

    def create_status(self, name: str, color: str = "#6b7280") -> dict[str, Any]:
        """Create a contact status."""
        return self._call("POST", "/statuses", json={"name": name, "color": color})  # type: ignore[no-any-return]

    def stats(self) -> dict[str, Any]:
        """Return request counts per route and status, 429s, injected faults and per-window "
        "counts."""
        return self._call("GET", "/stats")  # type: ignore[no-any-return]

    def configure_webhooks(
        self,
        url: str,
        secret: str | None = None,
        events: list[str] | None = None,
        timeout_seconds: float = 5.0,
    ) -> dict[str, Any]:
        """Send CRM change events to a loopback `url`, signed with `secret`.

        Returns:
            The webhook settings, with the secret used (a random one when `secret` is None).
        """
        body: dict[str, Any] = {"url": url, "timeout_seconds": timeout_seconds}
        if secret is not None:
            body["secret"] = secret
        if events is not None:
            body["events"] = events
        return self._call("PUT", "/webhooks", json=body)  # type: ignore[no-any-return]

    def webhook_deliveries(self) -> dict[str, Any]:
        """Return `pending` (events not sent yet) and `deliveries` (status code or error of "
        "each)."""
        return self._call("GET", "/webhooks")  # type: ignore[no-any-return]

    def disable_webhooks(self) -> None:
        """Stop sending webhooks."""
        self._call("DELETE", "/webhooks")

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()
