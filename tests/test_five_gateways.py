"""One budget across all five gateways, against the sandbox speaking every protocol at one base
URL: a batch whose lines name kirin (vtrix), a Modellix model, fal, Replicate and WaveSpeed
models, killed with SIGKILL and run again, creates no more than its budget covers and pays no
line twice; a named budget used by CLI processes and MCP tools at once holds across gateways;
``spend --by provider`` shows each."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, env_for

FIXTURES = ROOT / "tests" / "fixtures"
KIRIN = "kirin_v3_i2v"
MODELLIX = "alibaba/qwen-image"
FAL = "fal:acme/sketch/v1"
REPLICATE = "replicate:acme/painter"
WAVESPEED = "wavespeed:acme/clip-i2v"
# What each is quoted: kirin as the sandbox charges it (5 s of video at 0.06; vtrix reports
# the cost, which then settles), the others priced by the user, and WaveSpeed by its own
# price route (the same 0.30): none of those three gateways reports a cost.
PRICES = {KIRIN: "0.30", MODELLIX: "0.10", FAL: "0.10", REPLICATE: "0.10"}
WAVESPEED_QUOTE = Decimal("0.30")


def params(model: str, i: int) -> dict[str, Any]:
    """Distinct parameters for line ``i`` of ``model`` (so a task names its line)."""
    if model == KIRIN:
        return {"image_url": f"https://e.com/{i}.jpg"}
    if model == WAVESPEED:
        return {"image": f"https://e.com/{i}.png", "prompt": f"line {i}"}
    return {"prompt": f"line {i}"}


@pytest.fixture
def five(make_sandbox: Any, tmp_path: Path, vtrix: Any) -> tuple[Any, dict[str, str]]:
    """The sandbox with fal, Replicate and WaveSpeed specs beside the packaged vtrix and
    Modellix ones; every gateway's key; the four user prices set."""
    specs = tmp_path / "specs"
    for gateway, name in (
        ("fal", "acme__sketch__v1.json"),
        ("replicate", "acme__painter.json"),
        ("wavespeed", "catalog.json"),
    ):
        (specs / gateway).mkdir(parents=True)
        shutil.copy(FIXTURES / gateway / name, specs / gateway / name)
    from vtrix.sandbox.state import Faults

    sb = make_sandbox(
        specs_dir=str(specs), task_seconds=1.0, faults=Faults(honour_idempotency=True)
    )
    env = {
        **env_for(sb),
        "FAL_KEY": "fal-key-0a1b2c3d",
        "REPLICATE_API_TOKEN": "r8_key-4e5f6a7b",
        "WAVESPEED_API_KEY": "ws-key-8c9d0e1f",
    }
    for model, price in PRICES.items():
        assert vtrix("prices", "set", model, price, env=env).code == 0
    return sb, env


def cost_of(task: dict[str, Any]) -> Decimal:
    model = task["model"]
    return WAVESPEED_QUOTE if model == WAVESPEED else Decimal(PRICES[model])


def created(sb: Any) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = list(sb.stats()["task_times"].values())
    return tasks


def test_a_batch_over_five_gateways_keeps_its_budget_through_a_kill_and_a_rerun(
    five: tuple[Any, dict[str, str]], tmp_path: Path, vtrix: Any
) -> None:
    sb, env = five
    models = [KIRIN, MODELLIX, FAL, REPLICATE, WAVESPEED]
    lines = [
        {"model": m, "params": params(m, i), "key": f"line-{i}-{n}"}
        for i in range(2)
        for n, m in enumerate(models)
    ]  # 1.80 asked of a 1.20 budget; the first five lines, one a gateway, are 0.90
    src = tmp_path / "mixed.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    args = [sys.executable, "-m", "vtrix", "batch", str(src), "--budget", "1.20"]
    proc = subprocess.Popen(
        [*args, "--concurrency", "2", "-q"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while len(created(sb)) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    first = len(created(sb))
    assert first >= 3
    # One line at a time, in order: the lines the budget covers are then the same each run
    # (the first five, one a gateway, and the next kirin line).
    rerun = ("--budget", "1.20", "--resubmit-unknown", "--concurrency", "1")
    again = vtrix("batch", str(src), *rerun, env=env)  # in-process: the fake clock's pace
    assert again.code == 4, again.out + again.err  # the budget stopped what it does not cover
    tasks = created(sb)
    per_line = Counter(json.dumps([t["model"], t["params"]], sort_keys=True) for t in tasks)
    assert max(per_line.values()) == 1  # no line paid twice, through the kill
    assert sum(cost_of(t) for t in tasks if t["model"] != MODELLIX) <= Decimal("1.20")
    assert {t["provider"] for t in tasks} == {"vtrix", "modellix", "fal", "replicate", "wavespeed"}
    spend = json.loads(vtrix("spend", "--by", "provider", "-o", "json", env=env).out)
    assert set(spend["groups"]) == {"vtrix", "modellix", "fal", "replicate", "wavespeed"}
    held = sum(Decimal(g["settled"]) + Decimal(g["reserved"]) for g in spend["groups"].values())
    assert held <= Decimal("1.20")


def test_a_named_budget_holds_for_cli_and_mcp_at_once_across_gateways(
    five: tuple[Any, dict[str, str]], vtrix: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vtrix.aio import AsyncClient
    from vtrix.mcp.tools import Tools

    sb, env = five
    assert vtrix("budget", "set", "team", "0.50", env=env).code == 0
    full = {**os.environ, **env}
    run = [sys.executable, "-m", "vtrix", "run", REPLICATE, "--budget-name", "team", "--no-wait"]
    procs = [
        subprocess.Popen(
            [*run, "-q", "--prompt", f"cli {i}"],
            env=full,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(3)
    ]
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    async def agent() -> list[bool]:
        tools = Tools(AsyncClient(budget_name="team"), root=home)
        calls = [(WAVESPEED, params(WAVESPEED, i)) for i in range(2)]
        calls += [(FAL, params(FAL, i)) for i in range(2)]
        answers = await asyncio.gather(*(tools.submit_task(m, p) for m, p in calls))
        return [not error for error, _ in answers]

    accepted = asyncio.run(agent())
    codes = [p.wait(timeout=120) for p in procs]
    assert set(codes) <= {0, 4} and not all(accepted)  # 1.10 asked of 0.50: some refused
    tasks = created(sb)
    assert tasks and sum(cost_of(t) for t in tasks) <= Decimal("0.50")
    listed = json.loads(vtrix("budget", "list", "-o", "json", env=env).out)
    team = next(b for b in listed if b["name"] == "team")
    assert Decimal(team["left"]) >= 0


def test_doctor_checks_each_gateway_that_has_a_key(
    five: tuple[Any, dict[str, str]], vtrix: Any
) -> None:
    _, env = five
    r = vtrix("doctor", env=env)
    assert r.code == 0, r.out + r.err
    for label in ("vtrix", "Modellix", "fal", "Replicate", "WaveSpeed"):
        section = r.out.split(f"\n{label}:\n", 1)[1].split("\n\n", 1)[0]
        assert "key:        accepted" in section, (label, section)
    assert "balance:    100.0" in r.out.split("\nWaveSpeed:\n", 1)[1]  # its balance route
    without = vtrix("doctor", env={**env, "REPLICATE_API_TOKEN": ""})
    assert "REPLICATE_API_TOKEN" in without.out.split("\nReplicate:\n", 1)[1].split("\n\n")[0]
    assert all(k not in r.out + r.err for k in env.values() if "key" in k)
