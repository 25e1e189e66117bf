"""What an answer says: its JSON (strictly decoded), the server's own message, and the debug log of
requests and answers (keys redacted)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vtrix.base.secrets import redact
from vtrix.base.text import clean_line
from vtrix.errors import (
    ApiError,
    AuthError,
    BadAnswer,
    NotFound,
    PaymentRequired,
    RequestRejected,
    TemporaryFailure,
)
from vtrix.http.transport import (
    Response,
)

if TYPE_CHECKING:
    import logging


_REPORT = "The gateway's answer was not what its protocol documents; nothing more was done."


def decode(resp: Response, what: str) -> Any:
    """The JSON body of an answer; one that is not JSON, or nested too deep to read, is a
    BadAnswer (its text is kept)."""
    try:
        return json.loads(resp.body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        from vtrix.base.answers import keep

        why = "nested too deeply to read" if isinstance(exc, RecursionError) else "not JSON"
        path = keep(what, resp.body)
        raise BadAnswer(
            f"{what}: the answer from {clean_line(resp.url, 200)} is {why} "
            f"(HTTP {resp.status})" + (f"; it was saved to {path}" if path else ""),
            status=resp.status,
            hint=_REPORT,
        ) from None


def server_message(resp: Response) -> str:
    """The gateway's own words about an error, cleaned for a terminal and capped."""
    try:
        body = json.loads(resp.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        text = resp.body[:600].decode("utf-8", "replace").strip()
        return redact(clean_line(text, 300)) if text else "no details"
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            val = body.get(key)
            if isinstance(val, dict):
                val = val.get("message") or val.get("error_message") or json.dumps(val)
            if isinstance(val, str) and val:
                return redact(clean_line(val, 300))
        status = body.get("status")
        if isinstance(status, dict) and status.get("message"):
            return redact(clean_line(str(status["message"]), 300))
    try:
        return redact(clean_line(json.dumps(body), 300))
    except (RecursionError, ValueError):
        return "an answer nested too deeply to show"


def _logger() -> logging.Logger:
    """vtrix's logger, imported on the first request (start-up: docs/architecture.md)."""
    from vtrix.base.log import logger

    return logger


def _debugging() -> bool:
    """Whether vtrix's logger shows debug lines. Until something imported ``logging`` (the
    CLI's --debug, or an application configuring it) nobody can be listening: the import
    is skipped (start-up: docs/architecture.md)."""
    return "logging" in sys.modules and _logger().isEnabledFor(10)


def _log_request(method: str, url: str, headers: Mapping[str, str]) -> None:
    if _debugging():
        _logger().debug("> %s %s", method, url)
        for k, v in headers.items():
            _logger().debug("> %s: %s", k, v.split(" ")[0] + " ***" if k == "Authorization" else v)


def _log_response(resp: Response) -> None:
    if _debugging():
        _logger().debug("< %s (%d bytes)", resp.status, len(resp.body))


def error_for(
    resp: Response, what: str, *, label: str, key_env: str, key_source: str, key_size: int
) -> ApiError:
    """The typed error for an error status: what went wrong, and the fix."""
    status = resp.status
    msg = server_message(resp)
    if 300 <= status < 400:
        where = clean_line(resp.header("location") or "elsewhere", 200)
        return BadAnswer(
            f"{what}: the gateway redirected to {where} (HTTP {status}); not followed",
            status=status,
            hint="Check the base URL; vtrix never follows a redirect with your key.",
        )
    if status == 401:
        return AuthError(
            f"{what}: the API key is missing, invalid or expired (HTTP 401): {msg}",
            status=status,
            hint=f"Set {key_env}, or run `vtrix auth login`.",
        )
    if status == 402:
        return PaymentRequired(
            f"{what}: the account balance is insufficient (HTTP 402): {msg}",
            status=status,
            hint=f"Recharge your {label} account in its console, then retry.",
        )
    if status == 403:
        return ApiError(
            f"{what}: forbidden (HTTP 403): {msg}",
            status=status,
            hint="This key may not use that model or resource.",
        )
    if status == 404:
        return NotFound(
            f"{what}: not found (HTTP 404): {msg}",
            status=status,
            hint="Check the model id (`vtrix models list`) or the task id (`vtrix task list`).",
        )
    if status == 431:
        return RequestRejected(
            f"{what}: the gateway refused the request headers as too large (HTTP 431); "
            f"the API key from {key_source} is {key_size} characters long",
            status=status,
            hint=f"That is not an API key: set {key_env} to the key exactly as the "
            "console shows it. Nothing was created.",
        )
    if status >= 500:
        return TemporaryFailure(
            f"{what}: the gateway failed (HTTP {status}): {msg}",
            status=status,
            hint="A problem on the gateway's side; try again later.",
        )
    return RequestRejected(
        f"{what}: the gateway rejected the request (HTTP {status}): {msg}",
        status=status,
        hint="Fix the parameter it names; `vtrix models spec <id>` lists them.",
    )
