"""What every provider adapter offers, in provider-neutral types, and the rules they share:
the host policy (a key goes only to the configured gateway) and strict reading of answers
(anything not in the documented shape is a :class:`BadAnswer`, its body kept in a file)."""

from __future__ import annotations

import abc
import json
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from vtrix.base.gateways import GATEWAYS
from vtrix.base.record import field, record
from vtrix.base.text import clean_line
from vtrix.errors import ApiError, BadAnswer, RequestRejected, SubmitOutcomeUnknown, UsageError
from vtrix.http import USER_AGENT, Http, Plan, RequestsTransport, Transport
from vtrix.store.config import Settings
from vtrix.task import FINAL
from vtrix.wire.reading import URL_TEXT, bad_answer

if TYPE_CHECKING:  # the normaliser loads when a spec is read, not for a task lookup
    from vtrix.spec.normalise import ModelSpec


@record
class TaskState:
    """A task as the provider last reported it, plus the raw response."""

    id: str
    provider: str
    status: str
    remote_status: str = ""
    model: str = ""
    progress: float | None = None  # percent (see ProgressScale)
    urls: list[str] = field(default_factory=list)
    error: str | None = None
    cost: str | None = None
    created_at: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    # When a wait saw it done, and when last still running (wall times): it ended between.
    finished_at: float | None = None
    ran_until: float | None = None
    progress_raw: int | float | None = None  # as served, on the gateway's own scale
    expires_at: float | None = None  # when the result URLs stop working (epoch s), if said
    submitted_at: float | None = None  # monotonic time this process submitted it, if it did

    @property
    def done(self) -> bool:
        return self.status in FINAL

    @property
    def shown_status(self) -> str:
        """The status as people read it: vtrix's word, the gateway's own after it in
        brackets when it says something else (``running (in_progress)``)."""
        theirs = self.remote_status.strip()
        if not theirs or theirs.lower() == self.status:
            return self.status
        return f"{self.status} ({theirs})"


@record(frozen=True)
class PreparedRequest:
    """The exact request a submit sends (what ``--dry-run`` prints). It holds no key: the
    HTTP layer adds ``Authorization`` when it sends."""

    method: str
    url: str
    body: dict[str, Any] = field(repr=False)
    provider: str = "vtrix"
    secrets: tuple[str, ...] = ()  # parameters whose values are never shown (``writeOnly``)

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"

    def shown_body(self) -> dict[str, Any]:
        """The body as it may be shown: each secret parameter's value as ``***``."""
        hide = set(self.secrets)
        return {
            k: (masked(v, hide) if isinstance(v, dict) else "***" if k in hide else v)
            for k, v in self.body.items()
        }

    def body_json(self) -> str:
        return json.dumps(self.shown_body(), indent=2, ensure_ascii=False)

    def display_headers(self, with_key: bool) -> dict[str, str]:
        """The headers as ``--debug`` shows them: the key is never shown."""
        headers = {
            "User-Agent": USER_AGENT,
            **dict(GATEWAYS[self.provider].extra_headers),
            "Content-Type": "application/json",
            "Idempotency-Key": "<generated at send>",
        }
        if with_key:
            headers["Authorization"] = f"{GATEWAYS[self.provider].auth_scheme} ***"
        return headers


@record
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


def masked(node: dict[str, Any], hide: set[str]) -> dict[str, Any]:
    """``node`` with the values of the keys in ``hide`` shown as ``***`` (one level)."""
    return {k: "***" if k in hide else v for k, v in node.items()}


class Provider(abc.ABC):
    """One gateway. Subclasses translate between its wire format and the neutral types."""

    name: str
    upload_path: str | None = None  # the route local files are uploaded to, if there is one
    spec_key = False  # whether its specs are served only with the key
    prices = False  # whether its protocol quotes a task's price itself (``price``)

    def __init__(
        self,
        settings: Settings,
        transport: Transport | None = None,
        *,
        on_http: Callable[[Http], None] | None = None,
    ) -> None:
        self.settings = settings
        self.key_env = GATEWAYS[self.name].key_env
        self._transport = transport
        self._on_http = on_http  # e.g. the session's shared gate, set on the Http once made
        self._http: Http | None = None

    @property
    def http(self) -> Http:
        """The HTTP client of this gateway and key, made when a request is first sent (an
        adapter that only builds requests, as ``prepare`` does, makes none)."""
        if self._http is None:
            g = GATEWAYS[self.name]
            self._http = Http(
                api_key=self.settings.key_for(self.name),
                key_source=self.settings.key_source.get(self.name, g.key_env),
                label=g.label,
                key_env=g.key_env,
                transport=self._transport or RequestsTransport(network=self.settings.network()),
                extra_headers=dict(g.extra_headers),
                auth_scheme=g.auth_scheme,
            )
            if self._on_http is not None:
                self._on_http(self._http)
        return self._http

    # ------------------------------------------------------------------ specs

    @abc.abstractmethod
    def catalog(
        self, *, type: str | None = None, search: str | None = None
    ) -> list[CatalogEntry]: ...

    @abc.abstractmethod
    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        """The spec inside a spec answer (its envelope taken off, strictly)."""

    def conditional_spec(
        self,
        model_id: str,
        validators: dict[str, str],
        *,
        deadline: float | None = None,
        attempts: int | None = None,
    ) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """A model's spec as served, or None when the validators (``etag``,
        ``last_modified``) say it did not change; and the answer's validators (``deadline``,
        ``attempts``: as :meth:`vtrix.http.client.Http.response_plan` takes them)."""
        url = self.spec_url(model_id)
        what = f"spec of {model_id}"
        body, got = self.http.get_conditional(
            url, validators, what=what, deadline=deadline, attempts=attempts, auth=self.spec_key
        )
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

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        """A spec as served in the one form, read by the gateway folder's dialect."""
        from importlib import import_module

        source = f"{GATEWAYS[self.name].label} spec of {model_id}"
        spec: ModelSpec = import_module(f"vtrix.wire.{self.name}.dialect").normalise(
            model_id, raw, None, source
        )
        return spec

    def fetch_spec(self, model_id: str) -> tuple[dict[str, Any], ModelSpec]:
        """A model's spec from the gateway: (as served, normalised), in one request."""
        from vtrix.spec.clean import SpecError

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

    def gateway_base(self) -> tuple[str, bool, str]:
        """(base URL submits and polls go to, whether the user set it, the default base):
        the first of the gateway's hosts in the table."""
        first = GATEWAYS[self.name].urls[0]
        explicit = f"{self.name}.{first.name}" in self.settings.explicit_urls
        return self.settings.url(self.name, first.name), explicit, first.default

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
        """Where a submit goes. With a gateway URL the user set (a sandbox, a proxy of
        their own), the spec's endpoint supplies only the path. Otherwise the endpoint is
        used as served (the official client posts there) when it is https on the gateway's
        own domain (``*.vtrix.ai``, ``*.modellix.ai``); any other host is refused, since
        the key goes with the submit."""
        base, explicit, _default = self.gateway_base()
        parts = urlsplit(spec.endpoint)
        path = self.submit_path(parts.path or "/")
        if not path.startswith("/") or ".." in path or not URL_TEXT.match(path):
            raise bad_answer(
                f"spec of {spec.id}",
                f"endpoint {clean_line(spec.endpoint, 200)!r} is not a URL path",
                spec.to_dict(),
            )
        if explicit or not parts.netloc:
            return base.rstrip("/") + path
        g = GATEWAYS[self.name]
        try:
            host, _port = parts.hostname or "", parts.port
        except ValueError:
            host = ""
        if parts.scheme == "https" and "@" not in parts.netloc and host and g.owns_host(host):
            return f"https://{parts.netloc.lower()}{path}"
        shown = clean_line(parts.netloc, 100)
        raise BadAnswer(
            f"the spec of {spec.id} names the endpoint {clean_line(spec.endpoint, 200)}, "
            f"which is not an https host of {g.label} (*.{g.domain}); vtrix sends your "
            f"{g.label} key only there; nothing was sent",
            hint="If you trust that host, set the gateway URL to it explicitly "
            f"(e.g. --base-url https://{shown}).",
        )

    def submit_path(self, path: str) -> str:
        """The path a submit goes to, from the spec endpoint's path."""
        return path

    def task_endpoint(self, request: PreparedRequest) -> str:
        """What the ledger keeps with a task so that it can be asked about later ("": the
        id alone will do)."""
        return ""

    def prepare_submit(self, spec: ModelSpec, params: dict[str, Any]) -> PreparedRequest:
        props = spec.schema.get("properties") or {}
        secret = tuple(n for n, p in props.items() if isinstance(p, dict) and p.get("writeOnly"))
        body = self.submit_body(spec, params)
        return PreparedRequest("POST", self.submit_url(spec), body, self.name, secret)

    def submit_plan(
        self,
        request: PreparedRequest,
        model_id: str,
        idempotency_key: str,
        deadline: float | None = None,
        hold: float = 0.0,  # how long the caller would wait for the task within the submit
    ) -> Plan[TaskState]:
        raw = yield from self.http.submit_plan(
            request.url,
            request.body,
            idempotency_key=idempotency_key,
            what=f"submit of {model_id}",
            deadline=deadline,
            extra=self.submit_headers(hold, deadline),
        )
        return self.read_submit(raw, model_id, idempotency_key)

    def submit_headers(self, hold: float, deadline: float | None) -> dict[str, str] | None:
        """Headers of this gateway's own on a submit (None: none), given how long the caller
        would wait for the task within it."""
        return None

    def read_submit(self, raw: Any, model_id: str, idempotency_key: str) -> TaskState:
        """A submit's 2xx answer read: one this adapter cannot read leaves the outcome
        unknown (the task may exist), unless the gateway said in words it made none."""
        try:
            return self.parse_submit(raw, model_id)
        except RequestRejected:  # the gateway said in so many words it made no task
            raise
        except ApiError as exc:  # a 2xx this adapter cannot read: the task may exist
            raise SubmitOutcomeUnknown(
                f"{exc.message}; the task may or may not have been created",
                hint=f"Check the gateway's console or `vtrix task list` (idempotency key "
                f"{idempotency_key}) before resubmitting: a resend may charge twice.",
                idempotency_key=idempotency_key,
            ) from None

    def cancel_plan(self, task_id: str, endpoint: str, deadline: float | None = None) -> Plan[bool]:
        """Ask the gateway to cancel a task: True when it did. A gateway whose protocol has
        no cancel refuses (exit 2) with nothing sent."""
        label = GATEWAYS[self.name].label
        raise UsageError(f"cancel is not supported by {label}; nothing was sent")
        yield  # pragma: no cover - a plan, like every other

    def check_key(self) -> bool | None:
        """Whether the gateway accepts the key (None: its protocol has no route to ask)."""
        return None

    def balance(self) -> Any:
        """The account's balance as the gateway states it (None: it documents none)."""
        return None

    def price(self, model_id: str, params: dict[str, Any]) -> Decimal | None:
        """The gateway's own quote of a task (None: its protocol quotes none)."""
        return None

    def ping(self) -> None:
        """One cheap request that shows the gateway is reachable (raises if not)."""
        self.check_key()

    # ------------------------------------------------------------------ tasks

    def task_url(self, task_id: str, endpoint: str = "") -> str:
        """A task's status URL. ``endpoint`` is where it was submitted (a URL, or a path
        from older ledgers): its host, when one of the gateway's own, is asked too."""
        base, explicit, _ = self.gateway_base()
        parts = urlsplit(endpoint)
        host = parts.hostname or "" if parts.netloc and "@" not in parts.netloc else ""
        if (
            not explicit
            and parts.scheme == "https"
            and host
            and GATEWAYS[self.name].owns_host(host)
        ):
            base = f"https://{parts.netloc.lower()}"
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
