"""WaveSpeed: submit ``POST /api/v3/<model_id>`` with the input object, then the result at
``/api/v3/predictions/<id>/result`` (``created``, ``processing``, ``completed``, ``failed``;
also ``cancelled`` and ``timeout``), every answer in a ``{code, message, data}`` envelope
(``code`` 200: success; another code is the gateway's refusal, in its words). Specs come
from the catalog (``GET /api/v3/models``, a row per model). The gateway quotes a task's price
itself (``POST /api/v3/model/price``) and states the balance (``GET /api/v3/balance``). Its
protocol has no cancel.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from vtrix.base.gateways import (
    WAVESPEED,
    WAVESPEED_BALANCE_PATH,
    WAVESPEED_CATALOG_PATH,
    WAVESPEED_PRICE_PATH,
    WAVESPEED_RESULT_PATH,
)
from vtrix.errors import RequestRejected
from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, parse_iso
from vtrix.wire.base import CatalogEntry, Provider, TaskState
from vtrix.wire.reading import bad_answer, dict_of, list_of, outcome_of, task_of, text_of, url_of

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec

STATUS = {
    "created": QUEUED,
    "pending": QUEUED,
    "processing": RUNNING,
    "completed": SUCCEEDED,
    "failed": FAILED,
    "cancelled": CANCELED,
    "canceled": CANCELED,
    "timeout": FAILED,
}


def unwrap(body: Any, what: str) -> Any:
    """The ``data`` of an enveloped answer. A ``code`` other than 200 is the gateway's own
    refusal (a 4xx code: the request was refused; another: its answer is not usable)."""
    if not isinstance(body, dict) or "code" not in body:
        if isinstance(body, list):  # a catalog served bare, as some mirrors keep it
            return body
        raise bad_answer(what, "no {code, message, data} envelope", body)
    code = body.get("code")
    if code == 200:
        return body.get("data")
    words = text_of(body.get("message")) or "no message"
    if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 500:
        raise RequestRejected(f"{what}: WaveSpeed refused it (code {code}): {words}", status=code)
    raise bad_answer(what, f"code {code!r}: {words}", body)


class WaveSpeedProvider(Provider):
    spec_key = True  # a model's schema is read with the key
    prices = True  # POST /api/v3/model/price
    name = WAVESPEED.name

    def _base(self) -> str:
        return self.gateway_base()[0].rstrip("/")

    # ------------------------------------------------------------------ specs

    def rows(self) -> list[Any]:
        url = self._base() + WAVESPEED_CATALOG_PATH
        data = unwrap(self.http.get_json(url, what="WaveSpeed catalog"), "WaveSpeed catalog")
        return list_of(data, "data", "WaveSpeed catalog", data)

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        from vtrix.spec.normalise import summary_line
        from vtrix.wire.wavespeed.dialect import modality

        out = []
        for row in self.rows():
            model = row.get("model_id") if isinstance(row, dict) else None
            if not isinstance(model, str) or not model:
                continue
            task = text_of(row.get("type")) or ""
            out.append(
                CatalogEntry(
                    id=f"{WAVESPEED.name}:{model}",
                    provider=WAVESPEED.name,
                    type=modality(task, str(row.get("description") or "")),
                    name=text_of(row.get("name")) or model,
                    summary=summary_line(str(row.get("description") or task)),
                    task=task,
                )
            )
        return [e for e in out if e.matches(type, search)]

    def spec_url(self, model_id: str) -> str:
        """The catalog (a model's spec is its row), the model named in the query."""
        bare = quote(bare_id(model_id), safe="/")
        return f"{self._base()}{WAVESPEED_CATALOG_PATH}?model_id={bare}"

    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        wanted = (parse_qs(urlsplit(url).query).get("model_id") or [""])[0]
        data = unwrap(body, what)
        for row in list_of(data, "data", what, body):
            if isinstance(row, dict) and row.get("model_id") == wanted:
                return row
        from vtrix.errors import UnknownModel

        raise UnknownModel(f"{WAVESPEED.name}:{wanted}")  # not in WaveSpeed's catalog

    # ---------------------------------------------------------------- submits

    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
        return dict(params)  # the input object is the whole body

    def parse_submit(self, raw: Any, model_id: str) -> TaskState:
        state = self.parse_task(raw, None, what=f"submit of {model_id}")
        state.model = model_id
        return state

    def task_path(self, task_id: str, endpoint: str) -> str:
        return WAVESPEED_RESULT_PATH.format(task=task_id)

    def parse_task(self, raw: Any, task_id: str | None, what: str = "") -> TaskState:
        what = what or f"status of task {task_id}"
        data = dict_of(unwrap(raw, what), "data", what, raw)
        tid = task_of(data.get("id"), task_id, what, raw)
        remote = data.get("status")
        status, error = outcome_of(STATUS, remote, data.get("error"))
        outputs = list_of(data.get("outputs"), "outputs", what, raw) if status == SUCCEEDED else []
        created = parse_iso(data.get("created_at"))
        return TaskState(
            id=tid,
            provider=WAVESPEED.name,
            status=status,
            remote_status=text_of(remote) or "",
            urls=[url_of(u, what, raw) for u in outputs],
            error=error or ("the task timed out at the gateway" if remote == "timeout" else None),
            created_at=created.timestamp() if created else None,
            raw=data,
        )

    # ------------------------------------------------------------------ money

    def price(self, model_id: str, params: dict[str, Any]) -> Decimal | None:
        """The gateway's own quote of a task (its list price or the discounted one, the
        higher: a cap is never kept on a discount that might not apply)."""
        from vtrix.base.amounts import amount

        what = f"price of {model_id}"
        body = {"model_id": bare_id(model_id), "inputs": params}
        answer = self._post(WAVESPEED_PRICE_PATH, body, what)
        bare = isinstance(answer, dict) and "code" not in answer  # the price object alone
        data = dict_of(answer if bare else unwrap(answer, what), "data", what, answer)
        found = [amount(data.get(k)) for k in ("price", "discounted_price", "unit_price")]
        known = [a for a in found if a is not None and a >= 0]
        if not known:
            raise bad_answer(what, "no price in the answer", data)
        return max(known)

    def balance(self) -> Any:
        url = self._base() + WAVESPEED_BALANCE_PATH
        data = unwrap(self.http.get_json(url, what="WaveSpeed balance"), "WaveSpeed balance")
        return data.get("balance") if isinstance(data, dict) else data

    def check_key(self) -> bool | None:
        """One look at the balance (it takes the key): 401 says the key is refused."""
        from vtrix.errors import AuthError

        try:
            self.balance()
        except AuthError:
            return False
        return True

    def _post(self, path: str, body: dict[str, Any], what: str) -> Any:
        """A POST that creates nothing (a price): sent once, its answer decoded."""
        from vtrix.http.answer import decode
        from vtrix.http.once import once_plan

        plan = once_plan(self.http, "POST", self._base() + path, body, what=what)
        outcome = self.http.run(plan)
        if outcome.status >= 300:
            raise self.http.error_for(outcome, what)
        return decode(outcome, what)


def bare_id(model_id: str) -> str:
    """The id WaveSpeed knows (``wavespeed:`` off); one that cannot be is refused (exit 2)
    with nothing sent."""
    from vtrix.errors import UsageError
    from vtrix.spec.clean import SpecError
    from vtrix.wire.wavespeed.dialect import check_id

    try:
        return check_id(model_id)
    except SpecError as exc:
        raise UsageError(
            f"{model_id!r} is not a WaveSpeed model id: {exc.reason}; nothing was sent",
            hint="WaveSpeed ids are wavespeed:<vendor>/<model>, as its catalog lists them.",
        ) from None


Adapter = WaveSpeedProvider
