"""Know the price, cap the spend: quotes learned from what the sandbox charged or set by the
user, caps that never let an unknown price through silently, batch budgets counted at the
sandbox, balances and spend."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import CANARY, env_for

KIRIN = ["run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg"]
QUOTE = ["quote", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]
SEEDREAM = "bytedance/seedream-4.5-t2i"


def lines(path, n):
    path.write_text(
        "".join(
            json.dumps({"model": SEEDREAM, "params": {"prompt": f"cat {i}"}}) + "\n"
            for i in range(n)
        )
    )
    return path


def test_a_learned_quote_matches_what_the_sandbox_charges(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    first = vtrix(*QUOTE, "--param", "duration=5", "-o", "json", env=env)
    assert first.code == 0 and json.loads(first.out)["amount"] is None  # never invented
    for _ in range(3):
        assert vtrix(*KIRIN, "--duration", "5", "-q", env=env).code == 0
    q = json.loads(vtrix(*QUOTE, "--param", "duration=5", "-o", "json", env=env).out)
    assert q == {
        "model": "kirin_v3_i2v",
        "amount": "0.30",  # the sandbox's price: 5 s at 0.06 a second, 720p
        "source": "ledger",
        "sample": 3,
        "basis": "what the gateway charged for 3 tasks with duration=5, resolution=720p",
    }
    assert Decimal(sb.stats()["charged"]) == 3 * Decimal("0.30")
    # Other price parameters are another price: not learned yet.
    other = vtrix(*QUOTE, "--param", "duration=8", "-o", "json", env=env)
    assert json.loads(other.out)["amount"] is None
    dry = vtrix(*KIRIN, "--duration", "5", "--dry-run", "-o", "json", env=env)
    assert json.loads(dry.out)["quote"]["amount"] == "0.30"


def test_max_cost_refuses_before_sending_and_unknown_prices_never_pass(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    assert vtrix(*KIRIN, "--duration", "5", "-q", env=env).code == 0  # learns 0.30
    over = vtrix(*KIRIN, "--duration", "5", "--max-cost", "0.25", "-o", "json", env=env)
    assert over.code == 4
    assert json.loads(over.out)["error"]["code"] == "budget_reached"
    unknown = vtrix("run", SEEDREAM, "--prompt", "x", "--max-cost", "5", env=env)
    assert unknown.code == 4 and "unknown" in unknown.err and "--allow-unpriced" in unknown.err
    assert sb.stats()["tasks_created"] == 1
    allowed = vtrix(
        "run", SEEDREAM, "--prompt", "x", "--max-cost", "5", "--allow-unpriced", "-q", env=env
    )
    assert allowed.code == 0 and sb.stats()["tasks_created"] == 2
    within = vtrix(*KIRIN, "--duration", "5", "--max-cost", "0.30", "-q", env=env)
    assert within.code == 0 and sb.stats()["tasks_created"] == 3


def test_a_batch_budget_sends_exactly_what_it_covers_and_resumes(vtrix, make_sandbox, tmp_path):
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    src = lines(tmp_path / "in.jsonl", 10)
    unpriced = vtrix("batch", str(src), "--budget", "1", "-q", env=env)
    assert unpriced.code == 4 and sb.stats()["tasks_created"] == 0  # unknown price: nothing
    assert vtrix("prices", "set", SEEDREAM, "0.04", "--per", "image", env=env).code == 0
    r = vtrix("batch", str(src), "--budget", "0.2", "--concurrency", "4", "-q", env=env)
    assert r.code == 4, r.err
    assert sb.stats()["tasks_created"] == 5  # ⌊0.20 / 0.04⌋
    assert "budget" in r.out
    again = vtrix("batch", str(src), "--budget", "1", "-o", "json", "-q", env=env)
    assert again.code == 0, again.err
    assert sb.stats()["tasks_created"] == 10  # the other five; no line sent twice
    rows = [json.loads(line) for line in again.out.splitlines()]
    assert len({row["id"] for row in rows}) == 10
    assert all(row["status"] == "succeeded" for row in rows)


def test_spend_sums_what_the_sandbox_charged(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=0)
    env = env_for(sb)
    for seconds, resolution in ((3, "720p"), (5, "1080p"), (4, "480p")):
        args = ["--duration", str(seconds), "--resolution", resolution, "-q"]
        assert vtrix(*KIRIN, *args, env=env).code == 0
    assert vtrix("run", SEEDREAM, "--prompt", "x", "-q", env=env).code == 0  # no cost reported
    doc = json.loads(vtrix("spend", "--since", "1h", "--by", "provider", "-o", "json").out)
    vtrix_charged = Decimal("0.18") + Decimal("0.60") + Decimal("0.12")
    assert Decimal(doc["groups"]["vtrix"]["settled"]) == vtrix_charged
    assert doc["groups"]["vtrix"]["tasks"] == 3
    # No cost reported and no price known: held at no quote, counted as unpriced.
    assert doc["groups"]["modellix"] == {
        "tasks": 1,
        "settled": "0",
        "reserved": "0",
        "unknown": "0",
        "unpriced": 1,
    }
    assert doc["total"]["unpriced"] == 1
    charged_by_sandbox = Decimal(sb.stats()["charged"])
    assert charged_by_sandbox == vtrix_charged + Decimal("0.04")  # the image too


def test_a_budgeted_batch_says_what_the_balance_covers(vtrix, make_sandbox, tmp_path):
    sb = make_sandbox(task_seconds=0, balance="0.10")
    env = env_for(sb)
    assert vtrix("prices", "set", SEEDREAM, "0.04", "--per", "image", env=env).code == 0
    r = vtrix("batch", str(lines(tmp_path / "in.jsonl", 4)), "--budget", "1", env=env)
    assert "Modellix balance 0.1 covers 2 of its 4 lines at their quotes" in r.err


def test_a_balance_is_spent_then_402(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=0, balance="0.5")
    env = env_for(sb)
    before = json.loads(vtrix("balance", "-o", "json", env=env).out)
    assert before["modellix"]["balance"] == "0.5"  # a decimal string, as costs are
    assert before["vtrix"]["note"] == "not available from this gateway"
    assert vtrix(*KIRIN, "-q", env=env).code == 0  # 0.30
    assert vtrix(*KIRIN, "-q", env=env).code == 0  # 0.20 left: still allowed
    broke = vtrix(*KIRIN, "-o", "json", env=env)
    assert broke.code == 1 and json.loads(broke.out)["error"]["code"] == "payment_required"
    assert sb.stats()["tasks_created"] == 2


def test_the_sdk_caps_what_a_client_may_spend(home, make_sandbox, vtrix):
    from vtrix import Client
    from vtrix.errors import BudgetReached

    sb = make_sandbox(task_seconds=0)
    client = Client(api_key=CANARY, base_url=sb.url, max_spend="0.5")
    with pytest.raises(BudgetReached, match="unknown"):
        client.submit(SEEDREAM, prompt="x")  # no price known: refused, nothing sent
    assert vtrix("prices", "set", SEEDREAM, "0.2", env=env_for(sb)).code == 0
    client.submit(SEEDREAM, prompt="a")
    client.submit(SEEDREAM, prompt="b")
    with pytest.raises(BudgetReached):
        client.submit(SEEDREAM, prompt="c")
    assert sb.stats()["tasks_created"] == 2
    assert client.quote(SEEDREAM, prompt="d").to_dict()["source"] == "prices"
