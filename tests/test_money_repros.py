"""Each way the money promises were seen to break, as a test: caps checked in one process's
memory, unknown outcomes never counted, quotes that missed the price, a key locked out by
tasks nobody polled, an id lost to a locked ledger, a damaged ledger started afresh, keys that
collided across files and models. In-process on the mock transport where the gateway's part
is simple; real processes against the sandbox where the processes are the point."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import env_for
from test_money_kernel import MODEL, PARAMS, PRICE, SimGateway, _client

KIRIN = ["run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg"]


@pytest.fixture
def priced(home: Path) -> Path:
    from vtrix.engine.pricing import set_price

    set_price(MODEL, PRICE, "task")
    return home


def _ledger_path(home: Path) -> str:
    return str(home / "data" / "ledger.sqlite3")


def _wait_until(predicate: Any, bound: float = 30.0) -> None:
    """Wait for ``predicate`` (a bound against a hang, never an assertion on timing)."""
    end = time.monotonic() + bound
    while not predicate():
        assert time.monotonic() < end, "the condition never came"
        time.sleep(0.05)


# --------------------------------------------------------------------- caps


def test_twenty_threads_on_one_client_stay_within_max_spend(priced: Path) -> None:
    from vtrix import Client
    from vtrix.errors import BudgetReached

    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced), max_spend="0.60")
    refused = []

    def one(_: int) -> None:
        try:
            client.submit(MODEL, dict(PARAMS))
        except BudgetReached as exc:
            refused.append(exc)

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(one, range(20)))
    assert len(gw.tasks) == 2 and gw.charged() == Decimal("0.60")
    assert len(refused) == 18 and "max_spend 0.60 (this process)" in refused[0].message


def test_asyncio_gather_stays_within_max_spend(priced: Path) -> None:
    from vtrix import AsyncClient
    from vtrix.errors import BudgetReached

    gw = SimGateway()
    client = _client(AsyncClient, gw, _ledger_path(priced), max_spend="0.60")

    async def main() -> list[Any]:
        async with client:
            return await asyncio.gather(
                *(client.submit(MODEL, dict(PARAMS)) for _ in range(20)), return_exceptions=True
            )

    outcomes = asyncio.run(main())
    assert len(gw.tasks) == 2
    assert sum(isinstance(o, BudgetReached) for o in outcomes) == 18


def test_unknown_outcomes_count_against_the_cap(priced: Path) -> None:
    from vtrix import Client
    from vtrix.errors import BudgetReached, SubmitOutcomeUnknown

    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced), max_spend="0.60")
    seen = []
    for n in range(6):
        gw.plan[f"k{n}"] = "lost"  # created and charged, then a 500
        try:
            client.submit(MODEL, dict(PARAMS), idempotency_key=f"k{n}")
        except (SubmitOutcomeUnknown, BudgetReached) as exc:
            seen.append(exc.code)
    assert len(gw.tasks) == 2
    assert seen == ["outcome_unknown"] * 2 + ["budget_reached"] * 4


def test_a_named_budget_holds_across_processes(vtrix: Any, cli: Any, make_sandbox: Any) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30", env=env).code == 0
    assert vtrix("budget", "set", "agents", "0.60", env=env).code == 0
    full = {**os.environ, **env}
    args = [sys.executable, "-m", "vtrix", *KIRIN, "--budget-name", "agents", "-q", "--no-wait"]
    procs = [
        subprocess.Popen(args, env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(8)
    ]
    codes = sorted(p.wait(timeout=120) for p in procs)
    for p in procs:
        assert p.stdout is not None and p.stderr is not None
        p.stdout.close()
        p.stderr.close()
    assert sb.stats()["tasks_created"] == 2
    assert codes == [0, 0] + [4] * 6
    listed = json.loads(vtrix("budget", "list", "-o", "json", env=env).out)
    assert listed[0]["name"] == "agents" and listed[0]["left"] == "0.00"


def test_three_mcp_servers_share_a_named_budget(
    vtrix: Any, home: Path, make_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_mcp import call

    from vtrix.aio import AsyncClient
    from vtrix.mcp.server import build_server
    from vtrix.mcp.tools import Tools

    sb = make_sandbox(task_seconds=0)
    for name, value in env_for(sb).items():
        monkeypatch.setenv(name, value)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30").code == 0
    assert vtrix("budget", "set", "chats", "0.50").code == 0
    outcomes = []
    for _ in range(3):  # an MCP host starts one server per chat
        client = AsyncClient(base_url=sb.url, budget_name="chats", max_spend="0.50")
        server = build_server(Tools(client, root=home), None)

        async def steps(c: Any) -> Any:
            return await c.call_tool(
                "submit_task", {"model": "kirin_v3_i2v", "params": dict(PARAMS)}
            )

        outcomes.append(call(server, steps))
    assert sb.stats()["tasks_created"] == 1
    assert [o.is_error for o in outcomes] == [False, True, True]
    assert outcomes[1].structured_content["error"]["code"] == "budget_reached"


def test_twenty_mcp_calls_at_once_stay_within_max_spend(
    vtrix: Any, home: Path, make_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_mcp import call, in_memory

    sb = make_sandbox(task_seconds=0)
    for name, value in env_for(sb).items():
        monkeypatch.setenv(name, value)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30").code == 0
    _, server = in_memory(sb, home, max_spend="0.60")

    async def steps(c: Any) -> Any:
        args = {"model": "kirin_v3_i2v", "params": dict(PARAMS)}
        return await asyncio.gather(*(c.call_tool("submit_task", args) for _ in range(20)))

    results = call(server, steps)
    assert sb.stats()["tasks_created"] == 2
    assert sum(r.is_error for r in results) == 18


def _batch_file(path: Path, n: int) -> Path:
    rows = [
        {"model": "kirin_v3_i2v", "params": {"image_url": f"https://e.com/{i}.jpg"}}
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_two_batch_processes_on_one_file_share_its_budget(
    vtrix: Any, cli: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30", env=env).code == 0
    src = _batch_file(tmp_path / "in.jsonl", 12)
    full = {**os.environ, **env}
    args = [sys.executable, "-m", "vtrix", "batch", str(src), "--budget", "0.90", "-q", "-y"]
    procs = [subprocess.Popen(args, env=full, stdout=subprocess.DEVNULL) for _ in range(2)]
    assert sorted(p.wait(timeout=120) for p in procs) == [4, 4]
    assert sb.stats()["tasks_created"] == 3  # 0.90 at 0.30, whichever process sent each


def test_a_killed_batch_run_again_keeps_its_budget(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30", env=env).code == 0
    src = _batch_file(tmp_path / "in.jsonl", 10)
    sb.faults(vtrix_submit={"answer_after": 3.0})  # made and paid; answers not back yet
    args = [sys.executable, "-m", "vtrix", "batch", str(src), "--budget", "1.50"]
    args += ["--concurrency", "10", "-q", "-y"]
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    _wait_until(lambda: sb.stats()["tasks_created"] >= 5)  # made and charged, on the wire
    proc.kill()
    proc.wait(timeout=30)
    sb.faults(vtrix_submit={})
    again = vtrix("batch", str(src), "--budget", "1.50", "-o", "json", "-y", env=env)
    assert again.code in (3, 4), again.err
    assert sb.stats()["tasks_created"] == 5  # the 5 unknown ones hold the whole budget
    doc = json.loads(vtrix("spend", "--since", "1h", "-o", "json", env=env).out)
    assert doc["total"]["unknown"] == "1.50" and doc["total"]["tasks"] == 5


def test_a_price_below_what_the_gateway_charges_is_corrected_within_the_run(
    vtrix: Any, cli: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.15", env=env).code == 0  # it charges 0.30
    src = _batch_file(tmp_path / "in.jsonl", 20)
    # a process of its own: the re-pricing is said once per model and process
    r = cli("batch", str(src), "--budget", "3.00", "--concurrency", "2", "-q", env=env)
    assert r.code == 4
    charged = Decimal(sb.stats()["charged"])
    # Past the cap by at most the gap on the tasks in flight when the first cost came back.
    assert charged <= Decimal("3.00") + 2 * Decimal("0.15"), charged
    assert charged >= Decimal("2.70")
    assert "quoted 0.15" in r.err and "re-priced" in r.err  # the run says so


# ------------------------------------------------------------------- quotes


def test_a_batch_dry_run_shows_the_quotes_it_knows(
    vtrix: Any, sandbox: Any, tmp_path: Path
) -> None:
    src = _batch_file(tmp_path / "in.jsonl", 3)
    with src.open("a") as fh:
        fh.write(json.dumps({"model": "bytedance/seedream-4.5-t2i", "params": {"prompt": "x"}}))
    assert vtrix("prices", "set", "kirin_v3_i2v", "0.30").code == 0
    r = vtrix("batch", str(src), "--dry-run", env=env_for(sandbox))
    assert r.code == 0, r.err
    rows = {line.split()[0]: line for line in r.out.splitlines()}
    assert rows["kirin_v3_i2v"].split()[-1] == "0.90"
    assert rows["bytedance/seedream-4.5-t2i"].endswith("1 unknown")


def test_quotes_apply_defaults_and_see_image_counts(vtrix: Any, make_sandbox: Any) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix(*KIRIN, "-q", env=env).code == 0  # duration left at its default, 5
    q = json.loads(vtrix("quote", "kirin_v3_i2v", "--param", "duration=5", "-o", "json").out)
    assert q["amount"] == "0.30" and q["source"] == "ledger"
    seedream = "bytedance/seedream-4.5-t2i"
    assert vtrix("prices", "set", seedream, "0.04", "--per", "image").code == 0
    many = ["sequential_image_generation=auto", "sequential_image_generation_max_images=15"]
    args = ["quote", seedream, "--param", "prompt=x", "-o", "json"]
    batch = json.loads(vtrix(*args, *[f"--param={p}" for p in many]).out)
    assert batch["amount"] == "0.60"  # 15 images at 0.04
    single = json.loads(vtrix(*args).out)
    assert single["amount"] == "0.04"  # the switch is off: one image


def test_zero_and_absurd_reported_costs(priced: Path) -> None:
    from click.testing import CliRunner

    from vtrix import Client
    from vtrix.cli.main import cli as root

    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced))
    for key, how in (("z", "zero"), ("a", "absurd")):
        gw.plan[key] = how
        task = client.submit(MODEL, dict(PARAMS), idempotency_key=key)
        client.get_task(task.id, "vtrix")
    assert client.quote(MODEL, dict(PARAMS)).amount == PRICE  # a 0 never becomes the price
    rows = {r.key: r for r in client.ledger.recent(10)}
    assert rows["z"].cost == "0" and rows["a"].cost is None  # 1e999999999 is not a cost
    env = {"VTRIX_DATA_DIR": str(priced / "data")}
    r = CliRunner().invoke(root, ["spend", "-o", "json"], env=env)
    assert r.exit_code == 0 and len(r.stdout) < 10_000
    total = json.loads(r.stdout)["total"]
    assert total["settled"] == "0" and total["reserved"] == "0.30"


# ------------------------------------------------------------------- limits


def test_tasks_nobody_polled_do_not_lock_the_key(vtrix: Any, make_sandbox: Any) -> None:
    sb = make_sandbox(task_seconds=0)
    env = {**env_for(sb), "VTRIX_MAX_RUNNING": "3"}
    seedream = ["run", "bytedance/seedream-4.5-t2i", "--prompt", "x", "-q"]
    for _ in range(3):
        assert vtrix(*seedream, "--no-wait", env=env).code == 0
    r = vtrix(*seedream, "--timeout", "30", env=env)
    assert r.code == 0, r.err  # the three were looked up: they had ended
    assert sb.stats()["tasks_created"] == 4


def test_an_interrupt_while_a_429_hold_is_waited_out_sends_nothing(priced: Path) -> None:
    from vtrix import Client
    from vtrix.errors import Interrupted

    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced))
    http = client.provider("vtrix").http
    http.hold_until = http.clock() + 30  # another process's 429, as this one learnt it

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    http.sleep = interrupted
    with pytest.raises(Interrupted) as caught:
        client.submit(MODEL, dict(PARAMS), idempotency_key="held-1")
    assert "nothing was sent" in caught.value.message
    assert client.ledger.by_key("held-1") is None and not gw.posts
    http.hold_until = 0.0
    assert client.submit(MODEL, dict(PARAMS), idempotency_key="held-1").id  # key usable


def test_a_hold_past_the_deadline_answers_not_sent_at_once(priced: Path) -> None:
    from vtrix import Client
    from vtrix.errors import NotSent

    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced))
    http = client.provider("vtrix").http
    http.hold_until = http.clock() + 120  # longer than the submit's own 60 s

    def never(_: float) -> None:
        raise AssertionError("it waited")

    http.sleep = never
    with pytest.raises(NotSent) as caught:
        client.submit(MODEL, dict(PARAMS), idempotency_key="held-2")
    assert caught.value.code == "not_sent" and caught.value.retry_after is not None
    assert caught.value.retry_after > 60 and caught.value.exit_code == 75
    assert client.ledger.by_key("held-2") is None and not gw.posts


def test_leases_are_judged_by_the_databases_clock(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.store import claims
    from vtrix.store.ledger import Ledger

    ledger = Ledger(str(tmp_path / "ledger.sqlite3"))
    claims.enrol(ledger, "b", [(1, "k1")])
    assert claims.claim(ledger, "b", "worker-a", 60) is not None
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 300)  # a machine 300 s ahead
    assert claims.claim(ledger, "b", "worker-b", 60) is None  # worker-a's lease still holds


# ------------------------------------------------------------ writes that matter


def test_a_task_id_the_locked_ledger_cannot_take_is_journaled_then_written(
    priced: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from vtrix.store import sqlite as backend
    from vtrix.store.ledger import Ledger

    monkeypatch.setattr(backend, "LOCK_WAIT", 0.1)
    path = _ledger_path(priced)
    ledger = Ledger(path)
    ledger.begin(key="k", provider="vtrix", model=MODEL, digest="")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the lock
    ledger.close()
    ledger.submitted("k", "task_1", "queued", wait=0.3)
    assert "task_1" in capsys.readouterr().err
    holder.execute("ROLLBACK")
    holder.close()
    assert Ledger(path).by_key("k").task_id == "task_1"  # the next command wrote it
    assert not list((priced / "data").glob("pending-ids*"))


def test_a_damaged_ledger_is_refused_never_replaced(cli: Any, sandbox: Any, home: Path) -> None:
    env = env_for(sandbox)
    assert cli(*KIRIN, "-q", "--no-wait", env=env).code == 0
    path = home / "data" / "ledger.sqlite3"
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the schema page, damaged
    path.write_bytes(bytes(data))
    for sidecar in ("-wal", "-shm"):
        Path(f"{path}{sidecar}").unlink(missing_ok=True)
    before = sandbox.stats()["tasks_created"]
    r = cli(*KIRIN, "-o", "json", env=env)
    assert r.code == 2 and json.loads(r.out)["error"]["code"] == "ledger_unavailable"
    assert str(path) in r.err and ".recover" in r.err
    assert path.read_bytes() == bytes(data) and sandbox.stats()["tasks_created"] == before


def test_sigterm_during_a_batch_keeps_every_paid_id(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    src = _batch_file(tmp_path / "in.jsonl", 10)
    sb.faults(vtrix_submit={"answer_after": 1.5})
    args = [sys.executable, "-m", "vtrix", "batch", str(src), "--concurrency", "4", "-q", "-y"]
    proc = subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    _wait_until(lambda: sb.stats()["tasks_created"] >= 4)  # four on the wire
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 143
    created = sb.stats()["tasks_created"]
    listed = json.loads(vtrix("task", "list", "-o", "json", env=env).out)
    assert all(t["id"] for t in listed) and len(listed) == created, listed  # no paid id lost
    sb.faults(vtrix_submit={})
    again = vtrix("batch", str(src), "-q", "-y", env=env)
    assert again.code == 0, again.err
    assert sb.stats()["tasks_created"] == 10  # each line paid once


def test_a_cancelled_async_submit_on_the_wire_records_its_id(priced: Path) -> None:
    from vtrix import AsyncClient

    gw = SimGateway()
    release, arrived = threading.Event(), threading.Event()
    handle = gw.handle

    def slow(request: Any) -> Any:
        if request.method == "POST":
            arrived.set()
            release.wait(30)
        return handle(request)

    client = _client(AsyncClient, gw, _ledger_path(priced))
    client.provider("vtrix").http.transport.handler = slow

    async def main() -> None:
        job = asyncio.ensure_future(client.submit(MODEL, dict(PARAMS), idempotency_key="w1"))
        await asyncio.get_running_loop().run_in_executor(None, arrived.wait, 30)
        job.cancel()  # the MCP client went away
        await asyncio.sleep(0)
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())
    row = client.ledger.by_key("w1")
    assert row is not None and row.task_id == "task_00001"


# --------------------------------------------------------------------- keys


def test_a_key_sent_for_one_model_is_refused_for_another(vtrix: Any, sandbox: Any) -> None:
    env = env_for(sandbox)
    first = vtrix(*KIRIN, "--idempotency-key", "same-1", "-q", "--no-wait", env=env)
    assert first.code == 0
    args = ["run", "bytedance/seedream-4.5-t2i", "--prompt", "x", "--idempotency-key", "same-1"]
    other = vtrix(*args, "-o", "json", env=env)
    assert other.code == 2 and json.loads(other.out)["error"]["code"] == "key_conflict"
    assert "same-1" in other.err and "kirin_v3_i2v" in other.err
    changed = vtrix(
        *KIRIN[:-1], "https://example.com/b.jpg", "--idempotency-key", "same-1", env=env
    )
    assert changed.code == 2 and "other parameters" in changed.err
    assert sandbox.stats()["tasks_created"] == 1


def test_keys_1_and_2_in_two_files_are_other_lines(
    vtrix: Any, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    for name, url in (("a.jsonl", "https://e.com/a.jpg"), ("b.jsonl", "https://e.com/b.jpg")):
        rows = [
            {"model": "kirin_v3_i2v", "params": {"image_url": f"{url}?{k}"}, "key": str(k)}
            for k in (1, 2)
        ]
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert vtrix("batch", str(tmp_path / "a.jsonl"), "-q", env=env).code == 0
    assert vtrix("batch", str(tmp_path / "b.jsonl"), "-q", env=env).code == 0
    assert sb.stats()["tasks_created"] == 4  # the second file's lines were sent, not "resumed"
    assert vtrix("batch", str(tmp_path / "b.jsonl"), "-q", env=env).code == 0
    assert sb.stats()["tasks_created"] == 4  # and are resumed themselves


def test_spend_and_budgets_show_money_apart(priced: Path) -> None:
    from click.testing import CliRunner

    from vtrix import Client
    from vtrix.cli.main import cli as root

    runner = CliRunner()
    env = {"VTRIX_DATA_DIR": str(priced / "data")}
    assert (
        runner.invoke(root, ["budget", "set", "team", "2", "--period", "day"], env=env).exit_code
        == 0
    )
    gw = SimGateway()
    client = _client(Client, gw, _ledger_path(priced), budget_name="team")
    from vtrix.errors import SubmitOutcomeUnknown

    gw.plan["u"] = "lost"
    with pytest.raises(SubmitOutcomeUnknown):
        client.submit(MODEL, dict(PARAMS), idempotency_key="u")
    done = client.submit(MODEL, dict(PARAMS), idempotency_key="d")
    client.get_task(done.id, "vtrix")
    client.submit(MODEL, dict(PARAMS), idempotency_key="r")
    doc = json.loads(runner.invoke(root, ["spend", "-o", "json"], env=env).stdout)
    assert doc["total"] == {
        "tasks": 3,
        "settled": "0.30",
        "reserved": "0.30",
        "unknown": "0.30",
        "unpriced": 0,
    }
    listed = json.loads(runner.invoke(root, ["budget", "list", "-o", "json"], env=env).stdout)
    assert listed == [
        {
            "name": "team",
            "cap": "2",
            "period": "day",
            "settled": "0.30",
            "reserved": "0.30",
            "unknown": "0.30",
            "committed": "0.90",
            "tasks": 3,
            "left": "1.10",
        }
    ]
    human = runner.invoke(root, ["budget", "list"], env=env).stdout
    assert "team" in human and "1.10" in human
    assert runner.invoke(root, ["budget", "rm", "team"], env=env).exit_code == 0
    gone = runner.invoke(root, ["budget", "rm", "team"], env=env)
    assert gone.exit_code == 2


def test_the_gateways_unit_price_times_quantity_is_a_cost() -> None:
    from vtrix.store.config import Settings
    from vtrix.wire.vtrix.adapter import VtrixProvider

    prov = VtrixProvider(Settings())
    body = {"id": "task_1", "status": "completed", "usage": {"unit_price": "0.06", "quantity": 5}}
    assert prov.parse_task(body, "task_1").cost == "0.30"
    body["usage"] = {"cost": "0.25", "unit_price": "0.06", "quantity": 5}
    assert prov.parse_task(body, "task_1").cost == "0.25"  # the stated cost wins
