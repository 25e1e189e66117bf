"""``make bench`` (``python -m bench [SECTION,…]``): every figure against its floor or target.

Sections: startup, codegen, scale (10,000 synthetic models: codegen and CLI), waits, network
(first request and last poll of network commands), batch, teams (batch workers on a shared
PostgreSQL ledger), capacity, money (the money kernel's model-based test, run long). Each run
rewrites the sections it measured in bench/RESULTS.md and keeps the others as committed, so a
section can be measured again alone (``BENCH=waits make bench``).
Timings are medians of whole-process runs, alternating with the floor on this noisy machine.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from bench import batching, codegen_scale, mcp_bench, startup, waits
from bench.common import REPS, ROOT, compile_tree, home_env, sandbox
from vtrix.base.atomic import write_text_atomic

SCALE = int(os.environ.get("BENCH_SCALE", "10000"))


def run_startup(r: dict[str, Any]) -> None:
    compile_tree(ROOT / "src")
    r["startup"] = {
        **startup.real_catalog(),
        "mcp": {
            **mcp_bench.real_catalog(),
            **mcp_bench.agent_figures(),
            **mcp_bench.inspector_job(),
        },
    }


def run_codegen(r: dict[str, Any]) -> None:
    figures, _ = codegen_scale.synthetic(1000)
    r["codegen"] = {"real_s": codegen_scale.real_catalog(), "synthetic_1000_s": figures["cold_s"]}


def run_scale(r: dict[str, Any]) -> None:
    figures, out = codegen_scale.synthetic(SCALE)
    r["scale_codegen"] = codegen_scale.incremental(figures, out)
    compile_tree(ROOT / "src", out)
    models = out / "src" / "vtrix" / "models"
    r["scale_cli"] = {
        "count": SCALE,
        **startup.big_catalog(models, "synth_model_0000", "synth_model_12"),
        "mcp": mcp_bench.big_catalog(models),
    }


def run_waits(r: dict[str, Any]) -> None:
    r["waits"] = {
        "vtrix": waits.waits("vtrix", history=False),
        "vtrix_history": waits.waits("vtrix", history=True),
        "modellix_cold": waits.waits("modellix", history=False),
        "modellix_history": waits.waits("modellix", history=True),
    }


def run_batch(r: dict[str, Any]) -> None:
    r["batch"] = {
        "batch_1000": batching.batch_1000(),
        "async_1000": batching.async_1000(),
        "kill_resume": batching.kill_and_resume(),
    }


def run_network(r: dict[str, Any]) -> None:
    """Issue 20: first request sooner (start-up of network commands), last poll on time."""
    env = home_env()
    key = "sk-bench-key-123"
    env.update(VTRIX_API_KEY=key, MODELLIX_API_KEY=key)
    with sandbox(env, "--task-seconds", "0") as sb:
        env.update(VTRIX_BASE_URL=sb.url, MODELLIX_BASE_URL=sb.url)
        figures = startup.network_commands(env, sb.url, key)
    r["network"] = {**figures, "instant": waits.instant_modellix()}


def run_teams(r: dict[str, Any]) -> None:
    from bench.teams import workers

    r["teams"] = {"workers": workers()}


def run_money(r: dict[str, Any]) -> None:
    from bench.money import model_based

    r["money"] = {"model_based": model_based(int(os.environ.get("BENCH_MONEY_EXAMPLES", "300")))}


def run_capacity(r: dict[str, Any]) -> None:
    from bench.load import capacity

    with sandbox(home_env(), "--task-seconds", "30") as sb:
        r["capacity"] = capacity(sb.url)


SECTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "startup": run_startup,
    "codegen": run_codegen,
    "scale": run_scale,
    "waits": run_waits,
    "network": run_network,
    "batch": run_batch,
    "teams": run_teams,
    "capacity": run_capacity,
    "money": run_money,
}


def main(argv: list[str]) -> int:
    wanted = [s for a in argv for s in a.split(",") if s] or list(SECTIONS)
    unknown = [s for s in wanted if s not in SECTIONS]
    if unknown:
        print(f"unknown section(s) {unknown}; known: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    from bench.report import code_digest, machine, render

    results: dict[str, Any] = {}
    meta: dict[str, dict[str, Any]] = {}
    report = ROOT / "bench" / "RESULTS.md"
    for name in wanted:
        print(f"bench: {name}…", file=sys.stderr)
        digest = code_digest(ROOT, name)  # the code as it is when measured
        SECTIONS[name](results)
        meta[name] = {**machine(), "reps": REPS, "code": digest}
        text = render(results, report.read_text() if report.exists() else "", meta=meta)
        write_text_atomic(report, text)  # each section kept as soon as it is measured
    print(report.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or os.environ.get("BENCH", "").split()))
