"""The HTTP policy, written once: what to send, when to try again, what an answer means.

* Reads (GET) retry on network trouble, 408, 429 and 5xx with backoff, honouring
  ``Retry-After`` (seconds, HTTP date, ``retry-after-ms``) and ``x-should-retry``, within a
  deadline: the caller's (a wait's ``--timeout``) or a budget of their own.
* A submit (a paid POST) goes out once, on a fresh connection. It is tried again only when
  it certainly never reached the server (DNS, refused, connect timeout, TLS), or when the
  server says ``x-should-retry: true`` (same Idempotency-Key). A 429 is reported with its
  wait, never resent here. Anything else after sending is "outcome unknown".
* Answers are capped in size; error statuses become typed errors naming cause and fix.
* The key is added to ``Authorization`` at send time only, and checked first: a key that
  cannot be a header value is a usage error, with nothing sent.

The policy is a plan (a generator yielding :class:`Send` and :class:`Sleep` steps) run by
:meth:`Http.run` (:func:`drive`) and by :func:`drive_async` on an event loop, so both share
every rule.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from urllib.parse import urlencode

from vtrix._version import __version__
from vtrix.base.constants import MAX_ANSWER_BYTES, READ_ATTEMPTS, READ_BUDGET, SUBMIT_TIMEOUT
from vtrix.base.secrets import Secret
from vtrix.base.text import clean_line
from vtrix.errors import ApiError, BadAnswer, SubmitOutcomeUnknown, TemporaryFailure, UsageError
from vtrix.http.answer import (
    _REPORT,
    _debugging,
    _log_request,
    _log_response,
    _logger,
    decode,
    error_for,
    server_message,
)
from vtrix.http.gate import Gate
from vtrix.http.paid import paid_send
from vtrix.http.plan import Call, Plan, Send, Sleep, Step, drive
from vtrix.http.retry import RETRY_STATUSES, Backoff, retry_after, should_retry_hint
from vtrix.http.transport import Request, RequestsTransport, Response, Transport, TransportError

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from typing_extensions import Unpack

# Honest about who calls: not the official clients' names.
USER_AGENT = f"vtrix-python/{__version__}"
T = TypeVar("T")


async def async_sleep(seconds: float) -> None:
    """A wait on the running loop's timers: the async twin of the ``sleep`` an Http takes
    (a name of its own, read when called, so that a test can give waits a fake clock)."""
    import asyncio

    await asyncio.sleep(seconds)


class ReadOptions(TypedDict, total=False):
    """How a GET is made: ``auth`` (send the key; default yes), ``params`` (the query),
    ``what`` (named in errors), ``deadline`` (a monotonic time; else the read budget),
    ``attempts`` (at most this many; else the client's)."""

    auth: bool
    params: Mapping[str, Any] | None
    what: str
    deadline: float | None
    attempts: int | None


class Http:
    """JSON over HTTP for one gateway and one key."""

    def __init__(
        self,
        *,
        api_key: Secret | None = None,
        key_source: str = "",
        label: str = "vtrix",
        key_env: str = "VTRIX_API_KEY",
        transport: Transport | None = None,
        extra_headers: Mapping[str, str] | None = None,
        auth_scheme: str = "Bearer",
        backoff: Backoff | None = None,
        read_budget: float = READ_BUDGET,
        read_attempts: int = READ_ATTEMPTS,
        submit_timeout: float = SUBMIT_TIMEOUT,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.api_key = api_key
        self.key_source = key_source or key_env
        self.label = label
        self.key_env = key_env
        self.transport: Transport = transport or RequestsTransport()
        self.extra_headers, self.auth_scheme = dict(extra_headers or {}), auth_scheme
        self.backoff = backoff or Backoff()
        self.read_budget = read_budget
        self.read_attempts = read_attempts
        self.submit_timeout = submit_timeout
        self.sleep = sleep or time.sleep
        self.clock = clock or time.monotonic
        self.hold_until = 0.0  # set by a 429: nothing is sent before then
        self.gate: Gate | None = None  # the key's limits shared with other processes

    def __repr__(self) -> str:
        return f"Http(label={self.label!r}, api_key={self.api_key!r})"

    # ------------------------------------------------------------------ driving

    def run(self, plan: Plan[T]) -> T:
        """Carry out a plan synchronously. An exception while carrying out a step (Ctrl-C)
        is raised inside the plan, so that it can record what it must first."""
        return drive(plan, self._do)

    def _do(self, step: Step) -> Any:
        if isinstance(step, Send):
            wait = self.hold_until - self.clock()
            if wait > 0:
                self.sleep(min(wait, max(step.deadline - self.clock(), 0)))
            if self.gate is not None:  # the key's window and hold, shared
                while (wait := self.gate.wait()) > 0 and step.deadline > self.clock():
                    self.sleep(min(wait, max(step.deadline - self.clock(), 0)))
            try:
                return self.transport.send(
                    step.request, deadline=step.deadline, max_bytes=step.max_bytes
                )
            except TransportError as exc:
                return exc
        if isinstance(step, Sleep):
            if step.rate_limited:
                self.hold(step.seconds)
            self.sleep(step.seconds)
            return None
        return step.fn()

    async def do_async(self, step: Step, pool: Executor) -> Any:
        """Carry out one step on the running loop: an exchange or blocking call on
        ``pool``, a sleep (and the 429 hold) on the loop's own timers."""
        import asyncio  # imported when used: the sync path never needs it

        loop = asyncio.get_running_loop()
        if isinstance(step, Send):
            wait = self.hold_until - self.clock()
            if wait > 0:
                await async_sleep(min(wait, max(step.deadline - self.clock(), 0)))
            while self.gate is not None and step.deadline > self.clock():
                wait = await loop.run_in_executor(pool, self.gate.wait)
                if wait <= 0:
                    break
                await async_sleep(min(wait, max(step.deadline - self.clock(), 0)))
            send = partial(
                self.transport.send, step.request, deadline=step.deadline, max_bytes=step.max_bytes
            )
            if step.request.fresh:  # a paid submit: never cut off on the wire
                return await paid_send(send, pool)
            try:
                return await loop.run_in_executor(pool, send)
            except TransportError as exc:
                return exc
        if isinstance(step, Sleep):
            if step.rate_limited:
                self.hold(step.seconds)
            await async_sleep(step.seconds)
            return None
        assert isinstance(step, Call)
        if step.blocking:
            return await loop.run_in_executor(pool, step.fn)
        return step.fn()

    def hold(self, seconds: float) -> None:
        """After a 429: no request of this client (nor, through the gate, of any process
        sharing the ledger with this key) goes out for ``seconds``."""
        self.hold_until = max(self.hold_until, self.clock() + seconds)
        if self.gate is not None:
            self.gate.hold(seconds)

    # ------------------------------------------------------------------ headers

    def headers(self, *, auth: bool) -> dict[str, str]:
        h = {"User-Agent": USER_AGENT, **self.extra_headers, "Accept": "application/json"}
        if auth and self.api_key is not None:
            problem = self.api_key.problem()
            if problem:
                raise UsageError(
                    f"the API key from {self.key_source} {problem}; nothing was sent",
                    hint=f"Set {self.key_env} to the key exactly as the console shows it.",
                )
            h["Authorization"] = f"{self.auth_scheme} {self.api_key.reveal()}"
        return h

    # -------------------------------------------------------------------- reads

    def get_json(self, url: str, **options: Unpack[ReadOptions]) -> Any:
        """GET with retries; the decoded JSON body. With ``deadline`` (a monotonic time),
        retries go on until it; else within the read budget."""
        return self.run(self.read_plan(url, **options))

    def read_plan(self, url: str, **options: Unpack[ReadOptions]) -> Plan[Any]:
        resp = yield from self.response_plan(url, **options)
        return decode(resp, options.get("what", "request"))

    def get_conditional(
        self, url: str, validators: Mapping[str, str], **options: Unpack[ReadOptions]
    ) -> tuple[Any, dict[str, str]]:
        """A GET sending ``validators`` (``etag``, ``last_modified``) as If-None-Match /
        If-Modified-Since: (decoded body or None when 304 Not Modified, the answer's
        validators). ``options``: as :meth:`response_plan` takes them (no key unless asked)."""
        extra = {}
        if validators.get("etag"):
            extra["If-None-Match"] = validators["etag"]
        if validators.get("last_modified"):
            extra["If-Modified-Since"] = validators["last_modified"]
        what = options.setdefault("what", "request")
        options.setdefault("auth", False)
        resp = self.run(self.response_plan(url, extra=extra, **options))
        got = {
            "etag": clean_line(resp.header("etag") or "", 256),
            "last_modified": clean_line(resp.header("last-modified") or "", 256),
        }
        got = {k: v for k, v in got.items() if v}
        if resp.status == 304:
            return None, got or dict(validators)
        return decode(resp, what), got

    def response_plan(
        self,
        url: str,
        *,
        auth: bool = True,
        params: Mapping[str, Any] | None = None,
        what: str = "request",
        deadline: float | None = None,
        extra: Mapping[str, str] | None = None,
        attempts: int | None = None,
    ) -> Plan[Response]:
        """A GET with retries: the 2xx answer (or 304 when ``extra`` made it conditional).
        ``attempts``: at most this many, whatever time is left (a glance asks once)."""
        full = f"{url}?{urlencode(params)}" if params else url
        headers = {**self.headers(auth=auth), **(extra or {})}
        until = deadline if deadline is not None else self.clock() + self.read_budget
        attempt = 0
        while True:
            _log_request("GET", full, headers)
            outcome = yield Send(Request("GET", full, headers), until)
            status, server_wait = 0, None
            if isinstance(outcome, TransportError):
                if outcome.kind == "too_large":
                    raise BadAnswer(f"{what}: {outcome.detail}; refused", hint=_REPORT)
                cause = outcome.detail
                if outcome.kind in ("no_such_host", "dns"):
                    # No name, or no resolver (offline): asking again only costs the wait.
                    raise self._temporary(what, full, 0, cause, None)
            else:
                assert isinstance(outcome, Response)
                _log_response(outcome)
                if outcome.status < 300 or (outcome.status == 304 and extra):
                    return outcome
                hint = should_retry_hint(outcome.headers)
                retryable = outcome.status in RETRY_STATUSES if hint is None else hint
                if outcome.status < 400 or not retryable:
                    raise self.error_for(outcome, what)
                status = outcome.status
                server_wait = retry_after(outcome.headers, status=status)
                cause = f"HTTP {status}"
            attempt += 1
            if attempts is not None and attempt >= attempts:
                raise self._temporary(what, full, status, cause, server_wait)
            delay = self.backoff.delay(attempt - 1, server_wait)
            left = until - self.clock()
            if deadline is None and (attempt >= self.read_attempts or delay >= left):
                raise self._temporary(what, full, status, cause, server_wait)
            if deadline is not None and delay >= left:
                if left > 0 and server_wait is None:
                    yield Sleep(left)  # a server-named wait past the deadline fails at once
                raise self._temporary(what, full, status, cause, server_wait, deadline=True)
            if _debugging():
                _logger().debug("  retrying in %.1fs (%s)", delay, cause)
            yield Sleep(delay, rate_limited=status == 429)

    # ------------------------------------------------------------------ submits

    def submit_plan(
        self,
        url: str,
        body: Any,
        *,
        idempotency_key: str | None = None,
        what: str = "submit",
        deadline: float | None = None,
        extra: Mapping[str, str] | None = None,  # the gateway's own (Replicate's Prefer)
    ) -> Plan[Any]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        key = idempotency_key or str(uuid.uuid4())
        headers = {
            **self.headers(auth=True),
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "Connection": "close",
            **(extra or {}),
        }
        unknown_hint = (
            f"Do not resubmit blindly: check the gateway's console or `vtrix task list` first "
            f"(idempotency key {key}). Neither gateway promises to honour that key: sending "
            f"it again (--idempotency-key {key} --resend-unknown) may charge twice."
        )
        attempt = 0
        while True:
            _log_request("POST", url, headers)
            request = Request("POST", url, headers, data, fresh=True)
            until = self.clock() + self.submit_timeout
            outcome = yield Send(request, until if deadline is None else min(until, deadline))
            attempt += 1
            if isinstance(outcome, TransportError):
                if outcome.sent:
                    raise SubmitOutcomeUnknown(
                        f"{what} to {url} was sent but no clear answer came back "
                        f"({outcome.detail}); the task may or may not have been created",
                        hint=unknown_hint,
                        idempotency_key=key,
                    )
                if outcome.kind in ("refused", "connect", "connect_timeout") and attempt < 3:
                    yield Sleep(self.backoff.delay(attempt - 1))
                    continue
                raise TemporaryFailure(
                    f"{what} to {url} failed: {outcome.detail}; nothing was sent",
                    hint="Nothing was created or charged; safe to retry.",
                )
            assert outcome is not None
            _log_response(outcome)
            if outcome.status < 300:
                try:
                    return decode(outcome, what)
                except BadAnswer as exc:
                    raise SubmitOutcomeUnknown(
                        f"{exc.message}; the task may or may not have been created",
                        hint=unknown_hint,
                        idempotency_key=key,
                    ) from None
            hint = should_retry_hint(outcome.headers)
            if outcome.status == 429:
                raise self._submit_refused(outcome, what, url)
            if (outcome.status >= 500 or outcome.status == 408) and hint is True and attempt < 3:
                wait = retry_after(outcome.headers, status=outcome.status)
                yield Sleep(wait if wait is not None else self.backoff.delay(attempt))
                continue
            if outcome.status >= 500 or outcome.status == 408 or outcome.status < 400:
                raise SubmitOutcomeUnknown(
                    f"{what} to {url} got HTTP {outcome.status} after it was sent: "
                    f"{server_message(outcome)}; the task may or may not have been created",
                    status=outcome.status,
                    hint=unknown_hint,
                    idempotency_key=key,
                )
            raise self.error_for(outcome, what)

    def post_file(
        self, url: str, name: str, fileobj: Any, content_type: str, field: str = "file"
    ) -> Any:
        """Multipart upload of one file (in the form field ``field``); sent once, not paid."""
        headers = self.headers(auth=True)
        _log_request("POST", url, headers)
        request = Request("POST", url, headers, files={field: (name, fileobj, content_type)})
        from vtrix.http.transport import body_size, upload_seconds

        # The whole upload's bound scales with its bytes (a slow uplink is not a failure).
        allowed = max(self.submit_timeout * 4, upload_seconds(body_size(request)) * 1.5)
        try:
            resp = self.transport.send(
                request, deadline=self.clock() + allowed, max_bytes=MAX_ANSWER_BYTES
            )
        except TransportError as exc:
            raise TemporaryFailure(f"upload to {url} failed: {exc.detail}") from None
        _log_response(resp)
        if resp.status >= 300:
            raise self.error_for(resp, "upload")
        return decode(resp, "upload")

    # ------------------------------------------------------------------- errors

    def _submit_refused(self, outcome: Response, what: str, url: str) -> TemporaryFailure:
        """A 429 to a paid submit. Never resent here: a gateway may have created the task
        before refusing (Modellix's own app treats a 429 on a paid POST so). The caller
        decides (a batch holds and tries the line again; exit 75 says how long to wait)."""
        wait = retry_after(outcome.headers)
        self.hold(wait if wait is not None else self.backoff.delay(0))
        when = f"retry in {wait:.0f}s" if wait is not None else "retry later"
        return TemporaryFailure(
            f"{what}: the gateway refused the submit with HTTP 429 (rate or concurrency "
            f"limit) at {url}; vtrix does not resend a paid submit by itself",
            status=429,
            retry_after=wait,
            hint=f"Too many requests: {when}. If unsure whether a task was created, check "
            "the gateway's console or `vtrix task list` first.",
        )

    def _temporary(
        self,
        what: str,
        url: str,
        status: int,
        cause: str,
        wait: float | None,
        *,
        deadline: bool = False,
    ) -> TemporaryFailure:
        if status == 429:
            when = f"retry in {wait:.0f}s" if wait is not None else "retry with backoff"
            return TemporaryFailure(
                f"{what}: rate or concurrency limit reached (HTTP 429) at {url}",
                status=429,
                retry_after=wait,
                hint=f"Too many requests: {when}. Nothing was created by this request.",
                deadline=deadline,
            )
        return TemporaryFailure(
            f"{what} to {url} failed after retries: {cause}",
            status=status,
            hint="A temporary problem; safe to retry later.",
            deadline=deadline,
        )

    def error_for(self, resp: Response, what: str) -> ApiError:
        """The typed error for an error status (see :func:`vtrix.http.answer.error_for`)."""
        size = len(self.api_key.reveal()) if self.api_key is not None else 0
        return error_for(
            resp,
            what,
            label=self.label,
            key_env=self.key_env,
            key_source=self.key_source,
            key_size=size,
        )
