"""The money kernel, proven by a model-based test: many concurrent callers — threads sharing a
client, asyncio tasks, separate processes (over real HTTP on 127.0.0.1, killed for real), and
two "machines" with ledger connections of their own — submit
against a simulated gateway that creates a task and then fails to answer, refuses, charges
more than quoted, reports zero or absurd costs, or is killed mid-submit. After every step:

* what the gateway charged for each account's submits stays within its cap, plus, when a
  quote was too low, the difference on the tasks already in flight when the higher cost was
  first reported;
* no idempotency key is sent twice;
* every task the gateway created has its id in the ledger, or its row is ``unknown`` with its
  key;
* once every task has been looked up, what the ledger holds (settled + reserved + unknown)
  equals what the gateway charged (at least that, once a quote was too low: held rows are
  then re-priced upwards), and ``vtrix spend`` says the same.

The gateway is simulated in-process (the mock transport); the ledger is real: an SQLite file,
and a PostgreSQL schema on the server the suite starts. Seeded and bounded here; ``make bench``
runs it longer (``bench/money.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from vtrix.http import MockTransport, Request, Response

PRICE = Decimal("0.30")
MODEL = "kirin_v3_i2v"
PARAMS = {"image_url": "https://example.com/a.jpg"}
# A second gateway in the same runs: WaveSpeed quotes PRICE from its own price route and
# reports no cost (so it cannot overcharge visibly: only these behaviours apply to it).
WAVESPEED = "wavespeed:acme/clip-i2v"
WAVESPEED_PARAMS = {"image": "https://example.com/a.png", "prompt": "a wave"}
WAVESPEED_BEHAVIOURS = ("ok", "lost", "refused", "killed")
CATALOG = Path(__file__).parent / "fixtures" / "wavespeed" / "catalog.json"
INPUTS = {MODEL: PARAMS, WAVESPEED: WAVESPEED_PARAMS}
SEEN: Counter[str] = Counter()  # what the examples reached (a cap refusal, a task …)
BEHAVIOURS = ("ok", "ok", "ok", "lost", "refused", "overcharge", "zero", "absurd", "killed")


def _dead_owner() -> str:
    import subprocess

    from vtrix.store.entry import owner

    proc = subprocess.Popen(["true"])
    proc.wait()
    return f"{owner().rpartition(':')[0]}:{proc.pid}"


DEAD_OWNER = _dead_owner()


class Killed(BaseException):
    """The caller's process dies mid-submit: nothing after this runs in it."""


class SimGateway:
    """A vtrix-protocol gateway in memory: what it created, charged and was sent."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.plan: dict[str, str] = {}  # idempotency key -> how the gateway behaves
        self.posts: Counter[str] = Counter()  # idempotency key -> submits received
        self.tasks: dict[str, dict[str, Any]] = {}  # task id -> {key, charged, reported}
        self.by_key: dict[str, str] = {}  # idempotency key -> task id
        self.ids = itertools.count(1)
        self.pids: dict[str, int] = {}  # idempotency key -> the process sending it

    def charged(self, keys: set[str] | None = None) -> Decimal:
        return sum(
            (t["charged"] for t in self.tasks.values() if keys is None or t["key"] in keys),
            Decimal(0),
        )

    def handle(self, request: Request) -> Response:
        if "/api/v3/" in request.url:
            return self._wavespeed(request)
        if request.method == "POST":
            return self._submit(request)
        task_id = request.url.rstrip("/").rsplit("/", 1)[-1]
        with self.lock:
            task = self.tasks.get(task_id)
        if task is None:
            return _json(404, {"message": "no such task"})
        body = {
            "id": task_id,
            "model": MODEL,
            "status": "completed",
            "progress": 100,
            "output": [{"content": [{"type": "video", "url": "https://cdn.example/o.mp4"}]}],
            "usage": {"cost": task["reported"]},
        }
        return _json(200, body)

    def _wavespeed(self, request: Request) -> Response:
        """WaveSpeed's routes: its catalog, its price route, a submit, a result."""
        if request.url.endswith("/api/v3/model/price"):
            return _json(200, {"code": 200, "data": {"price": f"{PRICE:f}"}})
        if "/api/v3/models" in request.url:
            return _json(200, json.loads(CATALOG.read_text("utf-8")))
        if request.method == "POST":
            return self._submit(request, wavespeed=True)
        task_id = request.url.rsplit("/predictions/", 1)[1].split("/", 1)[0]
        with self.lock:
            known = task_id in self.tasks
        if not known:
            return _json(404, {"code": 404, "message": "no such task", "data": None})
        done = {"id": task_id, "status": "completed", "outputs": ["https://cdn.example/w.mp4"]}
        return _json(200, {"code": 200, "message": "success", "data": done})

    def _submit(self, request: Request, wavespeed: bool = False) -> Response:
        key = dict(request.headers)["Idempotency-Key"]
        with self.lock:
            self.posts[key] += 1
            how = self.plan.get(key, "ok")
            if how == "refused":
                return _json(400, {"message": "image_url: unsupported image"})
            charge = {"overcharge": 2 * PRICE, "zero": Decimal(0)}.get(how, PRICE)
            reported = {"absurd": "1e999999999"}.get(how, f"{charge:f}")
            task_id = f"task_{next(self.ids):05d}"
            self.tasks[task_id] = {"key": key, "charged": charge, "reported": reported}
            self.by_key[key] = task_id
        if how == "lost":
            return _json(500, {"message": "internal error"})
        if wavespeed and how != "killed":
            return _json(200, {"code": 200, "data": {"id": task_id, "status": "created"}})
        if how == "killed":
            pid = self.pids.get(key)
            if pid is None:
                raise Killed()
            os.kill(pid, signal.SIGKILL)  # a real process, killed with its submit on the wire
            SEEN["sigkill"] += 1
            return _json(500, {"message": "the client is gone"})
        return _json(200, {"id": task_id, "model": MODEL, "status": "in_progress"})


class Served:
    """The simulated gateway over real HTTP on 127.0.0.1, for callers in other processes."""

    def __init__(self, gw: SimGateway) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else None
                request = Request(self.command, self.path, dict(self.headers.items()), body)
                got = gw.handle(request)
                self.send_response(got.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(got.body)))
                self.end_headers()
                self.wfile.write(got.body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


SUBMIT_SCRIPT = """
import sys
from vtrix import Client
from vtrix.errors import VtrixError
from vtrix.store.ledger import Ledger
url, ledger, key = sys.argv[1:4]
client = Client(api_key="sim-key", base_url=url, ledger=Ledger(ledger), budget_name="team")
try:
    client.submit("kirin_v3_i2v", {"image_url": "https://example.com/a.jpg"}, idempotency_key=key)
    print("sent")
except VtrixError as exc:
    print(exc.code)
"""


def _json(status: int, body: Any) -> Response:
    data = json.dumps(body).encode()
    return Response(status, {"content-type": "application/json"}, data, "http://127.0.0.1")


def _client(cls: Any, gw: SimGateway, ledger_url: str, **caps: Any) -> Any:
    from vtrix.store.config import Settings
    from vtrix.store.ledger import Ledger

    env = {"WAVESPEED_API_KEY": "sim-key"}
    settings = Settings.resolve(api_key="sim-key", base_url="http://127.0.0.1:9", env=env)
    return cls(
        settings=settings, ledger=Ledger(ledger_url), transport=MockTransport(gw.handle), **caps
    )


class MoneyModel(RuleBasedStateMachine):
    """One ledger, one gateway, a team budget shared by two machines, and a process cap."""

    ledger_url: Callable[[], str]  # a fresh ledger each example (set by the test)

    def __init__(self) -> None:
        super().__init__()
        self.gw = SimGateway()
        self.keys_a: set[str] = set()  # sent through machine A (team budget + max_spend)
        self.keys_b: set[str] = set()  # sent through machine B (team budget only)
        self.dishonest: list[str] = []  # keys charged above their quote, not yet reported
        self.slack = Decimal(0)  # what those may add past a cap
        self.reported_high = False

    @initialize(
        team=st.sampled_from(["0.90", "1.50", "2.10"]),
        spend=st.sampled_from(["0.60", "1.20"]),
    )
    def start(self, team: str, spend: str) -> None:
        from vtrix import AsyncClient, Client
        from vtrix.store.accounts import Account, named

        url = self.url = type(self).ledger_url()
        self.team_cap, self.spend_cap = Decimal(team), Decimal(spend)
        self.a = _client(Client, self.gw, url, max_spend=spend, budget_name="team")
        assert self.a.ledger is not None
        self.a.ledger.save_account(Account(named("team"), self.team_cap, "budget"))
        self.b = _client(Client, self.gw, url, budget_name="team")  # another machine
        self.aio = _client(AsyncClient, self.gw, url, session=self.a.session)
        self.process_account = next(x for x in self.a.session.accounts if x.kind == "process")
        self.team = next(x for x in self.a.session.accounts if x.kind == "budget")

    # ------------------------------------------------------------------ rules

    def _keys(self, how: list[str]) -> list[str]:
        keys = [f"sim-{uuid.uuid4().hex[:12]}" for _ in how]
        self.gw.plan.update(zip(keys, how, strict=True))
        return keys

    def _submit(self, client: Any, key: str, model: str = MODEL) -> None:
        from vtrix.errors import VtrixError

        prepared = client.prepare(model, dict(INPUTS[model]))
        try:
            client.submit_prepared(prepared, idempotency_key=key)
            SEEN["sent"] += 1
        except VtrixError as exc:  # refused by a cap or the gateway, or an unknown outcome
            SEEN[exc.code] += 1
        except Killed:
            self._died(client, key)

    def _died(self, client: Any, key: str) -> None:
        """The caller's process is gone: its row is left as it stood, its owner a process of
        this machine that has ended."""
        with client.ledger._lock:
            client.ledger.database.execute(
                "UPDATE tasks SET owner = ? WHERE key = ?", (DEAD_OWNER, key)
            )

    def _before(self, keys: list[str]) -> None:
        if not self.reported_high:  # quoted at the old price: may pass a cap by the gap
            for k in keys:
                if self.gw.plan[k] == "overcharge":
                    self.slack += PRICE

    @rule(how=st.lists(st.sampled_from(BEHAVIOURS), min_size=2, max_size=8))
    def threads_share_a_client(self, how: list[str]) -> None:
        keys = self._keys(how)
        self._before(keys)
        self.keys_a.update(keys)
        with ThreadPoolExecutor(len(keys)) as pool:
            list(pool.map(lambda k: self._submit(self.a, k), keys))

    @rule(how=st.lists(st.sampled_from(BEHAVIOURS), min_size=2, max_size=8))
    def two_machines_at_once(self, how: list[str]) -> None:
        keys = self._keys(how)
        self._before(keys)
        half = len(keys) // 2
        self.keys_a.update(keys[:half])
        self.keys_b.update(keys[half:])
        jobs = [(self.a, k) for k in keys[:half]] + [(self.b, k) for k in keys[half:]]
        with ThreadPoolExecutor(len(jobs)) as pool:
            list(pool.map(lambda j: self._submit(*j), jobs))

    @rule(
        vtrix=st.lists(st.sampled_from(BEHAVIOURS), min_size=1, max_size=4),
        wavespeed=st.lists(st.sampled_from(WAVESPEED_BEHAVIOURS), min_size=1, max_size=4),
    )
    def two_gateways_at_once(self, vtrix: list[str], wavespeed: list[str]) -> None:
        """A mixed run: vtrix and WaveSpeed submits at once, from both machines, against one
        team budget (WaveSpeed's quotes come from its price route)."""
        keys = self._keys(vtrix + wavespeed)
        self._before(keys)
        models = [MODEL] * len(vtrix) + [WAVESPEED] * len(wavespeed)
        clients = [self.a if i % 2 else self.b for i in range(len(keys))]
        for client, key in zip(clients, keys, strict=True):
            (self.keys_a if client is self.a else self.keys_b).add(key)
        SEEN["mixed"] += 1
        with ThreadPoolExecutor(len(keys)) as pool:
            list(pool.map(self._submit, clients, keys, models))

    @rule(how=st.lists(st.sampled_from(BEHAVIOURS), min_size=2, max_size=8))
    def asyncio_tasks_gather(self, how: list[str]) -> None:
        from vtrix.errors import VtrixError

        keys = self._keys(how)
        self._before(keys)
        self.keys_a.update(keys)

        async def one(key: str) -> None:
            prepared = await self.aio.prepare(MODEL, dict(PARAMS))
            try:
                await self.aio.submit_prepared(prepared, idempotency_key=key)
                SEEN["sent"] += 1
            except VtrixError as exc:
                SEEN[exc.code] += 1
            except Killed:
                self._died(self.a, key)

        async def all_of() -> None:
            await asyncio.gather(*(one(k) for k in keys))
            await self.aio.aclose()

        asyncio.run(all_of())

    @rule(how=st.lists(st.sampled_from(BEHAVIOURS), min_size=2, max_size=3))
    def separate_processes(self, how: list[str]) -> None:
        """Other processes of this machine (B's budget), over real HTTP; "killed" is a real
        SIGKILL while the submit is on the wire."""
        keys = self._keys(how)
        self._before(keys)
        self.keys_b.update(keys)
        served = Served(self.gw)
        try:
            procs = {}
            for key in keys:
                procs[key] = subprocess.Popen(
                    [sys.executable, "-c", SUBMIT_SCRIPT, served.url, self.url, key],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
                self.gw.pids[key] = procs[key].pid
                SEEN["processes"] += 1
            for proc in procs.values():
                out, _ = proc.communicate(timeout=120)
                for word in out.split():
                    SEEN[word] += 1
        finally:
            served.close()

    @rule()
    def the_gateway_reports_costs(self) -> None:
        """Every task the ledger has an id for is looked up: its cost is recorded."""
        self._settle()

    def _settle(self) -> None:
        ledger = self.a.ledger
        for row in ledger.recent(10_000, everything=True):
            if row.task_id:
                self.a.get_task(row.task_id, row.provider)
        if any(self.gw.plan[self.gw.tasks[t]["key"]] == "overcharge" for t in self._seen()):
            self.reported_high = True

    def _seen(self) -> list[str]:
        ledger = self.a.ledger
        return [r.task_id for r in ledger.recent(10_000, everything=True) if r.task_id]

    # ------------------------------------------------------------- invariants

    @invariant()
    def no_key_is_sent_twice(self) -> None:
        assert all(n == 1 for n in self.gw.posts.values()), self.gw.posts

    @invariant()
    def charged_stays_within_every_cap(self) -> None:
        if not hasattr(self, "a"):
            return
        team = self.gw.charged(self.keys_a | self.keys_b)
        mine = self.gw.charged(self.keys_a)
        assert team <= self.team_cap + self.slack, (team, self.team_cap, self.slack)
        assert mine <= self.spend_cap + self.slack, (mine, self.spend_cap, self.slack)

    @invariant()
    def every_paid_task_is_in_the_ledger(self) -> None:
        if not hasattr(self, "a"):
            return
        for key, task_id in list(self.gw.by_key.items()):
            row = self.a.ledger.by_key(key)
            assert row is not None, key
            assert row.task_id == task_id or (
                row.task_id is None and row.shown_state == "unknown"
            ), (key, row)

    def teardown(self) -> None:
        if not hasattr(self, "a"):
            return
        try:
            self._settle()
            held = self.a.ledger.usage(self.team)
            charged = self.gw.charged(self.keys_a | self.keys_b)
            if self.reported_high:
                assert held.committed >= charged, (held, charged)
            else:
                assert held.committed == charged, (held, charged)
            assert (
                self.a.ledger.usage(self.process_account).committed >= self.gw.charged(self.keys_a)
                or not self.reported_high
            )
            assert _spend_total(self.a) == held.committed
        finally:
            for c in (self.a, self.b):
                if c.ledger is not None:
                    c.ledger.close()


def _spend_total(client: Any) -> Decimal:
    """What ``vtrix spend -o json`` says is held in total (every task here is the team's)."""
    from click.testing import CliRunner

    from vtrix.cli.main import cli as root

    env = {"VTRIX_API_KEY": "sim-key"}
    if client.ledger.path is None:
        env["VTRIX_LEDGER_URL"] = client.ledger.database._url.reveal()
    else:
        env["VTRIX_DATA_DIR"] = str(client.ledger.path.parent)
    r = CliRunner().invoke(root, ["spend", "--since", "1d", "-o", "json"], env=env)
    assert r.exit_code == 0, r.output
    total = json.loads(r.stdout)["total"]
    return Decimal(total["settled"]) + Decimal(total["reserved"]) + Decimal(total["unknown"])


@pytest.fixture
def priced(home: Path) -> None:
    from vtrix.engine.pricing import set_price

    set_price(MODEL, PRICE, "task")


def _run(machine: type[MoneyModel], examples: int) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    SEEN.clear()
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
    # The examples reached what they are about: caps that refused, unknown outcomes, tasks.
    assert SEEN["budget_reached"] and SEEN["outcome_unknown"] and SEEN["sent"], SEEN
    assert SEEN["processes"] and SEEN["mixed"], SEEN
    report = os.environ.get("VTRIX_MONEY_REPORT")
    if report:  # `make bench` runs this longer and reports what it covered
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"machine": machine.__name__, "examples": examples, **SEEN}))
            fh.write("\n")


EXAMPLES = int(os.environ.get("VTRIX_MONEY_EXAMPLES", "12"))


def test_money_holds_under_concurrency_on_sqlite(priced: None, tmp_path: Path) -> None:
    counter = itertools.count()

    class OnSqlite(MoneyModel):
        ledger_url = staticmethod(lambda: str(tmp_path / f"l{next(counter)}" / "ledger.sqlite3"))

    _run(OnSqlite, EXAMPLES)


def test_money_holds_across_machines_on_postgresql(priced: None, pg_server: str) -> None:
    from pg import fresh_schema

    class OnPostgres(MoneyModel):
        ledger_url = staticmethod(lambda: fresh_schema(pg_server))

    _run(OnPostgres, EXAMPLES)
