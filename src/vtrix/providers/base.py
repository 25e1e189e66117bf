"""What every provider adapter offers, in provider-neutral types."""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from vtrix.config import Settings
from vtrix.gateways import GATEWAYS
from vtrix.http import USER_AGENT, Http
from vtrix.spec.normalise import ModelSpec

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELED})


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
    raw: dict[str, Any] = field(default_factory=dict)

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
    type: str
    name: str
    summary: str


def rebase(url: str, base: str | None) -> str:
    """Replace scheme and host of ``url`` by those of ``base``, keeping the path."""
    if not base:
        return url
    b, u = urlsplit(base), urlsplit(url)
    path = b.path.rstrip("/") + u.path if b.path not in ("", "/") else u.path
    return urlunsplit((b.scheme, b.netloc, path, u.query, ""))


class Provider(abc.ABC):
    """One gateway. Subclasses translate between its wire format and the neutral types."""

    name: str
    key_env: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.http = Http(
            api_key=settings.key_for(self.name),
            provider_label=GATEWAYS[self.name].label,
            key_env=self.key_env,
        )

    @abc.abstractmethod
    def catalog(
        self,
        *,
        type: str | None = None,
        search: str | None = None,
    ) -> list[CatalogEntry]: ...

    @abc.abstractmethod
    def raw_spec(self, model_id: str) -> dict[str, Any]: ...

    @abc.abstractmethod
    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec: ...

    def fetch_spec(self, model_id: str) -> tuple[dict[str, Any], ModelSpec]:
        """A model's spec from the gateway: (as served, normalised), in one request."""
        from vtrix.errors import BadAnswer
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

    @abc.abstractmethod
    def prepare_submit(self, spec: ModelSpec, params: dict[str, Any]) -> PreparedRequest: ...

    @abc.abstractmethod
    def submit(self, request: PreparedRequest, model_id: str) -> TaskState: ...

    @abc.abstractmethod
    def task_url(self, task_id: str, endpoint: str | None = None) -> str: ...

    @abc.abstractmethod
    def parse_task(self, raw: Any) -> TaskState: ...

    def get_task(self, task_id: str, endpoint: str | None = None) -> TaskState:
        raw = self.http.get_json(self.task_url(task_id, endpoint), what="task status")
        return self.parse_task(raw)
