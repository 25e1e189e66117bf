"""Replicate: predictions created by model (``POST /v1/models/<owner>/<name>/predictions``) or
by a pinned version (``POST /v1/predictions`` with ``version``), polled at
``/v1/predictions/<id>`` (``starting`` → ``processing`` → ``succeeded`` | ``failed`` |
``canceled``) and cancelled by ``POST …/cancel``; a model's schema from its model or version
object; the catalog paged by ``next`` links.

A run that will wait asks the gateway to hold the submit (``Prefer: wait=N``: N at most 10 s,
within the command's deadline): a quick model then answers finished in the submit itself,
and a slow one's id is still known (and kept in the ledger) within seconds. Outputs are
deleted about an hour after a prediction ends: results are saved
when they arrive, and a later ``task get`` says when they are gone. No answer carries money
(``metrics.predict_time`` is kept): quotes come from prices you set, or learned.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from vtrix.base.gateways import (
    REPLICATE,
    REPLICATE_ACCOUNT_PATH,
    REPLICATE_CANCEL_PATH,
    REPLICATE_CATALOG_PATH,
    REPLICATE_FILES_PATH,
    REPLICATE_MODEL_PATH,
    REPLICATE_PREDICTIONS_PATH,
    REPLICATE_VERSION_PATH,
)
from vtrix.http import Plan
from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, parse_iso
from vtrix.wire.base import CatalogEntry, Provider, TaskState
from vtrix.wire.reading import (
    dict_of,
    list_of,
    outcome_of,
    task_of,
    text_of,
    url_of,
    urls_in,
)

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec

STATUS = {
    "starting": QUEUED,
    "processing": RUNNING,
    "succeeded": SUCCEEDED,
    "failed": FAILED,
    "canceled": CANCELED,
    "aborted": FAILED,
}
OUTPUT_LIFETIME = 3600.0  # Replicate deletes a prediction's inputs and outputs after ~1 hour
MAX_HOLD = 10  # Replicate holds up to 60 s; a quick model's run needs far less
_PAGES = 10  # the public catalog is vast: the first pages, then search narrows it


class ReplicateProvider(Provider):
    spec_key = True  # a model's schema is read with the key
    name = REPLICATE.name
    upload_path = REPLICATE_FILES_PATH

    def _base(self) -> str:
        return self.gateway_base()[0].rstrip("/")

    # ------------------------------------------------------------------ specs

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        """The public models, a few pages (``next`` links, followed only on the same host)."""
        base = self._base()
        url: str | None = base + REPLICATE_CATALOG_PATH
        out: list[CatalogEntry] = []
        for _ in range(_PAGES):
            if url is None:
                break
            entries, url = self.catalog_page(url)
            out += entries
        return [e for e in out if e.matches(type, search)]

    def catalog_page(self, url: str) -> tuple[list[CatalogEntry], str | None]:
        """One page of the model list: its models, and the next page's URL (None at the end,
        or when it points off Replicate's host: the token would go with it)."""
        from vtrix.spec.normalise import summary_line

        what = "Replicate catalog"
        page = dict_of(self.http.get_json(url, what=what), "answer", what, {})
        out = []
        for row in list_of(page.get("results"), "results", what, page):
            row = row if isinstance(row, dict) else {}
            owner, name = row.get("owner"), row.get("name")
            if not isinstance(owner, str) or not isinstance(name, str):
                continue
            text = text_of(row.get("description")) or f"{owner}/{name} on Replicate"
            out.append(
                CatalogEntry(
                    id=f"{REPLICATE.name}:{owner}/{name}",
                    provider=REPLICATE.name,
                    type=_kind_of(row),
                    name=f"{owner}/{name}",
                    summary=summary_line(text),
                )
            )
        nxt = page.get("next")
        return out, nxt if isinstance(nxt, str) and _same_origin(nxt, self._base()) else None

    def spec_url(self, model_id: str) -> str:
        model, version = model_parts(model_id)
        if version:
            return self._base() + REPLICATE_VERSION_PATH.format(model=model, version=version)
        return self._base() + REPLICATE_MODEL_PATH.format(model=model)

    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        return dict_of(body, "answer", what, body)

    # ---------------------------------------------------------------- submits

    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
        version = model_parts(spec.id)[1]
        return {"input": dict(params), **({"version": version} if version else {})}

    def submit_headers(self, hold: float, deadline: float | None) -> dict[str, str] | None:
        """For a caller that will wait (``hold``), ask Replicate to hold the create while the
        model runs: at most ``MAX_HOLD`` s (the id of a slow task is known soon, safe in the
        ledger), within the deadline and the submit's own timeout."""
        left = deadline - time.monotonic() - 5 if deadline is not None else MAX_HOLD
        seconds = int(min(MAX_HOLD, hold, left, self.http.submit_timeout - 10))
        return {"Prefer": f"wait={seconds}"} if seconds >= 1 else None

    def parse_submit(self, raw: Any, model_id: str) -> TaskState:
        state = self.parse_task(raw, None, what=f"submit of {model_id}")
        state.model = model_id
        return state

    def task_path(self, task_id: str, endpoint: str) -> str:
        return f"{REPLICATE_PREDICTIONS_PATH}/{task_id}"

    def parse_task(self, raw: Any, task_id: str | None, what: str = "") -> TaskState:
        what = what or f"status of task {task_id}"
        body = dict_of(raw, "answer", what, raw)
        tid = task_of(body.get("id"), task_id, what, raw)
        remote = body.get("status")
        status, error = outcome_of(STATUS, remote, body.get("error"))
        urls = outputs_in(body.get("output"), what, raw) if status == SUCCEEDED else []
        ended = parse_iso(body.get("completed_at"))
        started = parse_iso(body.get("created_at"))
        return TaskState(
            id=tid,
            provider=REPLICATE.name,
            status=status,
            remote_status=text_of(remote) or "",
            model=f"{REPLICATE.name}:{model}" if (model := text_of(body.get("model"))) else "",
            urls=urls,
            error=error,
            created_at=started.timestamp() if started else None,
            expires_at=ended.timestamp() + OUTPUT_LIFETIME if ended else None,
            raw=body,
        )

    def upload(self, path: str, content_type: str) -> dict[str, Any]:
        """A local file into Replicate's files API (``POST /v1/files``, field ``content``); its
        ``urls.get`` (a URL of Replicate's own, for its models' inputs) as ``url``."""
        what = f"upload of {path}"
        url = self._base() + REPLICATE_FILES_PATH
        with open(path, "rb") as fh:
            body = self.http.post_file(
                url, path.rsplit("/", 1)[-1], fh, content_type, field="content"
            )
        answer = dict_of(body, "answer", what, body)
        urls = dict_of(answer.get("urls"), "urls", what, body)
        return {"url": url_of(urls.get("get"), what, body), "id": answer.get("id")}

    def check_key(self) -> bool | None:
        """One look at the account the token belongs to: 401 says it is refused."""
        from vtrix.errors import AuthError

        try:
            self.http.get_json(self._base() + REPLICATE_ACCOUNT_PATH, what="Replicate key check")
        except AuthError:
            return False
        return True

    # ----------------------------------------------------------------- cancel

    def cancel_plan(self, task_id: str, endpoint: str, deadline: float | None = None) -> Plan[bool]:
        """Ask Replicate to cancel: True when the prediction reads canceled afterwards."""
        from vtrix.http.answer import decode
        from vtrix.http.once import once_plan

        what = f"cancel of task {task_id}"
        url = self._base() + REPLICATE_CANCEL_PATH.format(task=quote(task_id, safe=""))
        outcome = yield from once_plan(self.http, "POST", url, {}, what=what, deadline=deadline)
        if outcome.status >= 300:
            raise self.http.error_for(outcome, what)
        state = self.parse_task(decode(outcome, what), task_id, what=what)
        return state.status == CANCELED


def model_parts(model_id: str) -> tuple[str, str]:
    """(``owner/name``, version or "") of a Replicate id; one that cannot be is refused
    (exit 2) with nothing sent."""
    from vtrix.errors import UsageError
    from vtrix.spec.clean import SpecError
    from vtrix.wire.replicate.dialect import parse_id

    try:
        return parse_id(model_id)
    except SpecError as exc:
        raise UsageError(
            f"{model_id!r} is not a Replicate model id: {exc.reason}; nothing was sent",
            hint="Name it replicate:<owner>/<name>, or replicate:<owner>/<name>:<version>.",
        ) from None


def outputs_in(output: Any, what: str, raw: Any) -> list[str]:
    """The file URLs of an output, in order: one URL, a list or an iterator's list of them,
    or objects holding them (``{"file": …, "text": …}``). Text outputs hold none."""

    def link(node: Any, depth: int) -> Any:
        return node if isinstance(node, str) and node.startswith(("https://", "http://")) else None

    return urls_in(output, what, raw, link)


def _kind_of(row: dict[str, Any]) -> str:
    from vtrix.wire.replicate.dialect import modality

    version = row.get("latest_version")
    doc = version.get("openapi_schema") if isinstance(version, dict) else None
    comps = doc.get("components", {}).get("schemas", {}) if isinstance(doc, dict) else {}
    output = comps.get("Output") if isinstance(comps, dict) else None
    return modality(output, f"{row.get('name')} {row.get('description')}") if output else "unknown"


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


Adapter = ReplicateProvider
