"""What every provider adapter offers, in provider-neutral types, and the rules they share:
the host policy (a key goes only to the configured gateway) and strict reading of answers
(anything not in the documented shape is a :class:`BadAnswer`, its body kept in a file)."""

from __future__ import annotations

import abc
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from vtrix.config import Settings
from vtrix.errors import ApiError, BadAnswer, SubmitOutcomeUnknown
from vtrix.gateways import GATEWAYS
from vtrix.http import USER_AGENT, Http, Plan, Transport
from vtrix.spec.normalise import ModelSpec
from vtrix.text import clean_line

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
)
UNKNOWN = "unknown"  # a status the gateway sent that vtrix does not know (or none at all)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELED})
_TASK_ID = re.compile(r"^[\x21-\x7e]{1,256}\Z")
_URL = re.compile(r"^[\x21-\x7e]{1,8192}\Z")


@dataclass
class TaskState:
    """A task as the provider last reported it, plus the raw response."""

    id: str
    provider: str
    status: str
    remote_status: str = ""
    model: str = ""
    progress: float | None = None
    urls: list[str] = field(default_factory=list)
    error: str | None = None
    cost: str | None = None
    created_at: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    finished_at: float | None = None  # best estimate of when it ended (set by a wait)

    @property
    def done(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class PreparedRequest:
    """The exact request a submit sends (what ``--dry-run`` prints). It holds no key: the
    HTTP layer adds ``Authorization`` when it sends."""

    method: str
    url: str
    body: dict[str, Any]

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def body_json(self) -> str:
        return json.dumps(self.body, indent=2, ensure_ascii=False)

    def display_headers(self, with_key: bool) -> dict[str, str]:
        """The headers as ``--debug`` shows them: the key is never shown."""
        headers = {
            "User-Agent": USER_AGENT,
            "X-Source": "cli",
            "Content-Type": "application/json",
            "Idempotency-Key": "<generated at send>",
        }
        if with_key:
            headers["Authorization"] = "Bearer ***"
        return headers


@dataclass
class CatalogEntry:
    id: str
    provider: str
    type: str  # the output modality
    name: str
    summary: str
    task: str = ""  # the gateway's own word for the model's job, where it has one

    def matches(self, type: str | None, search: str | None) -> bool:
        """``type`` matches the modality or the task, ``search`` the id or summary; both
        case-insensitively."""
        if type and type.strip().lower() not in (self.type.lower(), self.task.lower()):
            return False
        return not search or search.lower() in f"{self.id} {self.summary}".lower()


def bad_answer(what: str, reason: str, raw: Any) -> BadAnswer:
    """A BadAnswer for ``raw`` (kept in a file, named in the message)."""
    from vtrix.answers import keep

    path = keep(what, raw)
    saved = f"; the answer was saved to {path}" if path else ""
    return BadAnswer(
        f"{what}: the gateway's answer is not usable: {reason}{saved}",
        hint="This is the gateway's fault, not yours; report it with that file.",
    )


def task_id_of(value: Any, what: str, raw: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _TASK_ID.match(value):
        shown = clean_line(repr(value), 80)
        raise bad_answer(what, f"no usable task id (got {shown})", raw)
    return value


def url_of(value: Any, what: str, raw: Any) -> str:
    if not isinstance(value, str) or not _URL.match(value):
        raise bad_answer(
            what, f"a result URL is not a URL (got {clean_line(repr(value), 80)})", raw
        )
    return value


def progress_of(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= 100 else None


def text_of(value: Any) -> str | None:
    """Free text from an answer (an error, a status) for people: cleaned, capped."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        value = value.get("error_message") or value.get("message") or json.dumps(value)
    return clean_line(value if isinstance(value, str) else json.dumps(value, default=str), 500)


def list_of(value: Any, name: str, what: str, raw: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_answer(what, f"'{name}' is not a list", raw)
    return value


def dict_of(value: Any, name: str, what: str, raw: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_answer(what, f"'{name}' is not an object", raw)
    return value


class Provider(abc.ABC):
    """One gateway. Subclasses translate between its wire format and the neutral types."""

    name: str
    upload_path: str | None = None  # the route local files are uploaded to, if there is one

    def __init__(self, settings: Settings, transport: Transport | None = None) -> None:
        self.settings = settings
        g = GATEWAYS[self.name]
        self.key_env = g.key_env
        self.http = Http(
            api_key=settings.key_for(self.name),
            key_source=settings.key_source.get(self.name, g.key_env),
            label=g.label,
            key_env=g.key_env,
            transport=transport,
        )

    # ------------------------------------------------------------------ specs

    @abc.abstractmethod
    def catalog(
        self, *, type: str | None = None, search: str | None = None
    ) -> list[CatalogEntry]: ...

    @abc.abstractmethod
    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        """The spec inside a spec answer (its envelope taken off, strictly)."""

    def conditional_spec(
        self, model_id: str, validators: dict[str, str]
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """A model's spec as served, or None when the validators (``etag``,
        ``last_modified``) say it did not change; and the answer's validators."""
        url = self.spec_url(model_id)
        what = f"spec of {model_id}"
        body, got = self.http.get_conditional(url, validators, what=what)
        if body is None:
            return None, got
        return self.spec_body(body, url, what), got

    @abc.abstractmethod
    def spec_url(self, model_id: str) -> str:
        """Where the gateway serves a model's spec."""

    def raw_spec(self, model_id: str) -> dict[str, Any]:
        """A model's spec exactly as the gateway serves it."""
        raw, _ = self.conditional_spec(model_id, {})
        if raw is None:  # only a conditional request may be answered 304
            raise BadAnswer(f"spec of {model_id}: 304 Not Modified to a plain request")
        return raw

    @abc.abstractmethod
    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec: ...

    def fetch_spec(self, model_id: str) -> tuple[dict[str, Any], ModelSpec]:
        """A model's spec from the gateway: (as served, normalised), in one request."""
        from vtrix.spec.normalise import SpecError

        raw = self.raw_spec(model_id)
        try:
            return raw, self.normalise_spec(model_id, raw)
        except SpecError as exc:
            raise BadAnswer(
                f"the gateway's spec of {model_id} cannot be used: {exc.json_path}: {exc.reason}",
                hint="Report it to the gateway; `--param` values cannot be checked meanwhile.",
            ) from None

    def spec(self, model_id: str) -> ModelSpec:
        return self.fetch_spec(model_id)[1]

    # ---------------------------------------------------------------- submits

    @abc.abstractmethod
    def gateway_base(self) -> tuple[str, bool, str]:
        """(base URL submits and polls go to, whether the user set it, the default base)."""

    @abc.abstractmethod
    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]: ...

    @abc.abstractmethod
    def parse_submit(self, raw: Any, model_id: str) -> TaskState: ...

    @abc.abstractmethod
    def task_path(self, task_id: str, endpoint: str) -> str:
        """The path of a task's status route (``endpoint`` is the spec's submit path)."""

    @abc.abstractmethod
    def parse_task(self, raw: Any, task_id: str | None) -> TaskState: ...

    def submit_url(self, spec: ModelSpec) -> str:
        """Where a submit goes: the spec's endpoint supplies a path, never a host. An
        endpoint naming another host than the gateway's is refused unless the user set the
        gateway URL explicitly."""
        base, explicit, default = self.gateway_base()
        parts = urlsplit(spec.endpoint)
        path = parts.path or "/"
        if not path.startswith("/") or ".." in path or not _URL.match(path):
            raise bad_answer(
                f"spec of {spec.id}",
                f"endpoint {clean_line(spec.endpoint, 200)!r} is not a URL path",
                spec.to_dict(),
            )
        host = parts.netloc.lower()
        allowed = {urlsplit(default).netloc.lower(), urlsplit(base).netloc.lower()}
        if host and host not in allowed and not explicit:
            g = GATEWAYS[self.name]
            raise BadAnswer(
                f"the spec of {spec.id} names the endpoint host {clean_line(parts.netloc, 100)}; "
                f"vtrix sends your {g.label} key only to {urlsplit(base).netloc}; nothing was sent",
                hint="If you trust that host, set the gateway URL to it explicitly "
                f"(e.g. --base-url https://{clean_line(parts.netloc, 100)}).",
            )
        return base.rstrip("/") + path

    def prepare_submit(self, spec: ModelSpec, params: dict[str, Any]) -> PreparedRequest:
        return PreparedRequest("POST", self.submit_url(spec), self.submit_body(spec, params))

    def submit_plan(
        self, request: PreparedRequest, model_id: str, idempotency_key: str
    ) -> Plan[TaskState]:
        raw = yield from self.http.submit_plan(
            request.url, request.body, idempotency_key=idempotency_key, what=f"submit of {model_id}"
        )
        try:
            return self.parse_submit(raw, model_id)
        except ApiError as exc:  # a 2xx this adapter cannot read: the task may exist
            raise SubmitOutcomeUnknown(
                f"{exc.message}; the task may or may not have been created",
                hint=f"Check `vtrix task list` (idempotency key {idempotency_key}) before "
                "resubmitting.",
                idempotency_key=idempotency_key,
            ) from None

    def submit(self, request: PreparedRequest, model_id: str, idempotency_key: str) -> TaskState:
        return self.http.run(self.submit_plan(request, model_id, idempotency_key))

    # ------------------------------------------------------------------ tasks

    def task_url(self, task_id: str, endpoint: str = "") -> str:
        base, _, _ = self.gateway_base()
        quoted = quote(task_id, safe="")
        if set(quoted) <= {"."}:  # "." and ".." would be folded away as path segments
            quoted = quoted.replace(".", "%2E")
        return base.rstrip("/") + self.task_path(quoted, endpoint)

    def task_plan(
        self, task_id: str, endpoint: str = "", deadline: float | None = None
    ) -> Plan[TaskState]:
        raw = yield from self.http.read_plan(
            self.task_url(task_id, endpoint), what=f"status of task {task_id}", deadline=deadline
        )
        return self.parse_task(raw, task_id)

    def get_task(
        self, task_id: str, endpoint: str = "", deadline: float | None = None
    ) -> TaskState:
        return self.http.run(self.task_plan(task_id, endpoint, deadline))
