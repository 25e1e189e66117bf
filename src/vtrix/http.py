"""The HTTP layer: requests with timeouts, bounded retries for reads, one-shot submits.

* Every request has a connect and a read timeout.
* GETs retry on connect errors, 429, 500, 502, 503 and 504 with exponential backoff and
  jitter, honouring ``Retry-After``, within a total budget.
* A submit (a paid POST) is retried only when the connection was refused before anything
  was sent. Anything after sending is "outcome unknown" and is never resent silently.
* Error statuses become typed errors that name the cause and the fix.
* The API key is only ever put in the ``Authorization`` header; debug output redacts it.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vtrix._version import __version__
from vtrix.errors import (
    ApiError,
    AuthError,
    NotFound,
    PaymentRequired,
    RequestRejected,
    SubmitOutcomeUnknown,
    TemporaryFailure,
)
from vtrix.log import logger
from vtrix.secrets import Secret, redact

if TYPE_CHECKING:
    import requests

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"vtrix/{__version__}"


@dataclass
class RetryPolicy:
    """Backoff for reads: 0.5 s, 1 s, 2 s, … capped, with jitter, within ``budget`` seconds."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    budget: float = 30.0
    sleep: Callable[[float], None] = time.sleep

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.cap * 4)
        d: float = min(self.cap, self.base * (2**attempt))
        return d * (0.75 + random.random() * 0.5)


@dataclass
class Http:
    """A small JSON-over-HTTP client for one provider and one key."""

    api_key: Secret | None = None
    provider_label: str = "vtrix"
    key_env: str = "VTRIX_API_KEY"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    extra_headers: dict[str, str] = field(default_factory=dict)
    _session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.trust_env = False  # no proxies from the environment: keys stay local
        return self._session

    def headers(self, *, auth: bool) -> dict[str, str]:
        h = {
            "User-Agent": USER_AGENT,
            "X-Source": "cli",
            "Accept": "application/json",
            **self.extra_headers,
        }
        if auth and self.api_key is not None:
            h["Authorization"] = f"Bearer {self.api_key.reveal()}"
        return h

    def _log(self, line: str) -> None:
        logger.debug("%s", line)

    def _log_request(self, method: str, url: str, headers: dict[str, str]) -> None:
        if not logger.isEnabledFor(10):
            return
        self._log(f"> {method} {url}")
        for k, v in headers.items():
            self._log(f"> {k}: {'Bearer ***' if k == 'Authorization' else v}")

    # ------------------------------------------------------------------ reads

    def get_json(
        self,
        url: str,
        *,
        auth: bool = True,
        params: dict[str, Any] | None = None,
        what: str = "request",
    ) -> Any:
        """GET with retries; returns the decoded JSON body."""
        import requests

        start = time.monotonic()
        attempt = 0
        while True:
            headers = self.headers(auth=auth)
            self._log_request("GET", url, headers)
            status, retry_after, cause = 0, None, ""
            try:
                resp = self.session.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=(self.connect_timeout, self.read_timeout),
                )
            except requests.RequestException as exc:
                cause = _describe_exc(exc)
            else:
                self._log(f"< {resp.status_code}")
                if resp.status_code < 400:
                    return _decode(resp, url)
                if resp.status_code not in RETRY_STATUSES:
                    raise self._error_for(resp, what)
                status, retry_after = resp.status_code, _retry_after(resp)
                cause = f"HTTP {status}"
            attempt += 1
            delay = self.retry.delay(attempt - 1, retry_after)
            elapsed = time.monotonic() - start
            if attempt >= self.retry.attempts or elapsed + delay > self.retry.budget:
                raise self._temporary(what, url, status, cause, retry_after)
            self._log(f"  retrying in {delay:.1f}s ({cause})")
            self.retry.sleep(delay)

    # ---------------------------------------------------------------- submits

    def post_json(
        self, url: str, body: Any, *, idempotency_key: str | None = None, what: str = "submit"
    ) -> Any:
        """POST once. Retried only if the connection was refused before sending."""
        import requests

        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {
            **self.headers(auth=True),
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        }
        attempt = 0
        while True:
            self._log_request("POST", url, headers)
            try:
                resp = self.session.post(
                    url,
                    data=data,
                    headers=headers,
                    timeout=(self.connect_timeout, self.read_timeout),
                )
                break
            except requests.RequestException as exc:
                if not _not_sent(exc):
                    raise SubmitOutcomeUnknown(
                        f"{what} to {url} was sent but no answer came back "
                        f"({_describe_exc(exc)}); the task may or may not have been created",
                        hint="Do not resubmit blindly: check `vtrix task list` and "
                        "`vtrix task get <id>` first.",
                    ) from None
                attempt += 1
                if attempt >= self.retry.attempts:
                    raise self._temporary(what, url, 0, _describe_exc(exc), None) from None
                self.retry.sleep(self.retry.delay(attempt - 1, None))
        self._log(f"< {resp.status_code}")
        if resp.status_code == 429:
            raise self._temporary(what, url, 429, "HTTP 429", _retry_after(resp))
        if resp.status_code >= 500:
            raise SubmitOutcomeUnknown(
                f"{what} to {url} got HTTP {resp.status_code} after it was sent: "
                f"{_server_message(resp)}; the task may or may not have been created",
                status=resp.status_code,
                hint="Do not resubmit blindly: check `vtrix task list` and the gateway's "
                "console first.",
            )
        if resp.status_code >= 400:
            raise self._error_for(resp, what)
        try:
            return _decode(resp, url)
        except ApiError as exc:
            raise SubmitOutcomeUnknown(str(exc.message)) from None

    def post_file(self, url: str, path: str, *, what: str = "upload") -> Any:
        """Multipart upload of one file (field ``file``)."""
        import requests

        headers = self.headers(auth=True)
        self._log_request("POST", url, headers)
        try:
            with open(path, "rb") as fh:
                resp = self.session.post(
                    url,
                    files={"file": (path.rsplit("/", 1)[-1], fh)},
                    headers=headers,
                    timeout=(self.connect_timeout, self.read_timeout * 4),
                )
        except requests.RequestException as exc:
            raise TemporaryFailure(f"{what} to {url} failed: {_describe_exc(exc)}") from None
        if resp.status_code >= 400:
            raise self._error_for(resp, what)
        return _decode(resp, url)

    def download(self, url: str, dest: str) -> int:
        """Stream ``url`` to ``dest`` (no auth header: result URLs are public)."""
        import requests

        try:
            with self.session.get(
                url,
                stream=True,
                headers={"User-Agent": USER_AGENT},
                timeout=(self.connect_timeout, self.read_timeout),
            ) as resp:
                if resp.status_code >= 400:
                    raise self._error_for(resp, "download")
                size = 0
                with open(dest, "wb") as fh:
                    for chunk in resp.iter_content(65536):
                        fh.write(chunk)
                        size += len(chunk)
                return size
        except requests.RequestException as exc:
            raise TemporaryFailure(f"download of {url} failed: {_describe_exc(exc)}") from None

    # ----------------------------------------------------------------- errors

    def _temporary(
        self,
        what: str,
        url: str,
        status: int,
        cause: str,
        retry_after: float | None,
    ) -> TemporaryFailure:
        if status == 429:
            when = (
                f"retry in {retry_after:.0f}s"
                if retry_after is not None
                else "retry with backoff (1s, 2s, 4s…)"
            )
            return TemporaryFailure(
                f"{what}: rate or concurrency limit reached (HTTP 429) at {url}",
                status=429,
                retry_after=retry_after,
                hint=f"Too many requests: {when}. Nothing was created by this request.",
            )
        return TemporaryFailure(
            f"{what} to {url} failed after retries: {cause}",
            status=status,
            hint="A temporary problem; safe to retry later.",
        )

    def _error_for(self, resp: requests.Response, what: str) -> ApiError:
        status = resp.status_code
        msg = _server_message(resp)
        if status == 401:
            return AuthError(
                f"{what}: the API key is missing, invalid or expired (HTTP 401): {msg}",
                status=status,
                hint=f"Set {self.key_env}, pass --api-key, or run `vtrix auth login`.",
            )
        if status == 402:
            return PaymentRequired(
                f"{what}: the account balance is insufficient (HTTP 402): {msg}",
                status=status,
                hint=f"Recharge your {self.provider_label} account in its console, then retry.",
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
        return RequestRejected(
            f"{what}: the gateway rejected the request (HTTP {status}): {msg}",
            status=status,
            hint="Fix the parameter it names; `vtrix models spec <id>` lists them.",
        )


def _decode(resp: requests.Response, url: str) -> Any:
    try:
        return resp.json()
    except ValueError:
        raise ApiError(
            f"the answer from {url} is not JSON (HTTP {resp.status_code})", status=resp.status_code
        ) from None


def _server_message(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        text = resp.text.strip()
        return redact(text[:300]) if text else resp.reason or "no details"
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            val = body.get(key)
            if isinstance(val, dict):
                val = val.get("message") or val.get("error_message") or json.dumps(val)
            if isinstance(val, str) and val:
                return redact(val)
        status = body.get("status")
        if isinstance(status, dict) and status.get("message"):
            return redact(str(status["message"]))
    return redact(json.dumps(body)[:300])


def _retry_after(resp: requests.Response) -> float | None:
    for header in ("Retry-After", "X-RateLimit-Reset"):
        value = resp.headers.get(header)
        if not value:
            continue
        try:
            n = float(value)
        except ValueError:
            continue
        if header == "X-RateLimit-Reset" and n > 1e9:  # an epoch time
            n = n - time.time()
        return max(n, 0.0)
    return None


def _not_sent(exc: Exception) -> bool:
    """True when the request certainly never reached the server (connect failed)."""
    import requests
    from urllib3.exceptions import NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, (NewConnectionError, ConnectionRefusedError)):
            return True
        nxt = getattr(cur, "reason", None) or cur.__cause__ or cur.__context__
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        cur = nxt if isinstance(nxt, BaseException) else None
    return False


def _describe_exc(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.ReadTimeout):
        return "no answer within the read timeout"
    if _not_sent(exc):
        return "connection refused"
    if isinstance(exc, requests.ConnectionError):
        return "connection dropped"
    return exc.__class__.__name__
