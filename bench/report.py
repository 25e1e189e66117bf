"""bench/RESULTS.md from bench/results.json: one row per figure, with its floor or target,
the result, whether it is met, and the command that measures it again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OK, MISS = "✓", "✗"


def _mark(ok: bool) -> str:
    return OK if ok else MISS


def _versus(f: dict[str, Any], limit: float = 1.3) -> str:
    return (
        f"{f['median_s'] * 1000:.0f} ms vs {f['floor_s'] * 1000:.0f} ms = "
        f"**{f['ratio']:.2f}×** {_mark(f['ratio'] <= limit)}"
    )


def _section(
    r: dict[str, Any], key: str, command: str, rows: Callable[[Any], list[str]]
) -> list[str]:
    if key not in r:
        return [f"| (not measured yet: `{command}`) | | | |"]
    return rows(r[key])


def _startup(s: dict[str, Any]) -> list[str]:
    floor = "`python -c 'import click'`"
    return [
        f"| `vtrix --help` | {floor} | ≤ 1.3× | {_versus(s['help'])} |",
        f"| `vtrix run --help` | same | ≤ 1.3× | {_versus(s['run_help'])} |",
        f"| `vtrix run kirin_v3_i2v --help` | same | ≤ 1.3× | {_versus(s['model_help'])} |",
        "| `vtrix --dry-run run kirin_v3_i2v --param …` (seed example) | click + pydantic script "
        f"validating a 6-field model, printing JSON | ≤ 1.3× | {_versus(s['dry_run'])} |",
    ]


def _codegen(c: dict[str, Any]) -> list[str]:
    return [
        f"| `codegen generate`, real snapshot (68 models) | — | report | {c['real_s']} s |",
        f"| `codegen generate`, 1,000 synthetic specs, cold | — | ≤ 30 s | "
        f"{c['synthetic_1000_s']} s {_mark(c['synthetic_1000_s'] <= 30)} |",
    ]


def _scale_codegen(c: dict[str, Any]) -> list[str]:
    n = f"{c['count']:,}"
    return [
        f"| `codegen generate`, {n} synthetic specs, cold ({c['files']:,} files) | — | ≤ 60 s | "
        f"{c['cold_s']} s {_mark(c['cold_s'] <= 60)} |",
        f"| peak RSS of that run (all its processes together; largest one) | — | ≤ 400 MB | "
        f"{c['peak_rss_mb']} MB ({c['largest_process_mb']} MB) {_mark(c['peak_rss_mb'] <= 400)} |",
        f"| `codegen generate`, {n} specs, one changed | — | ≤ 3 s | "
        f"{c['one_changed_s']} s {_mark(c['one_changed_s'] <= 3)} |",
        f"| `codegen check`, {n} specs, nothing changed | — | ≤ 3 s | "
        f"{c['check_s']} s {_mark(c['check_s'] <= 3)} |",
    ]


def _scale_cli(c: dict[str, Any]) -> list[str]:
    n = f"{c['count']:,}-model catalog"
    return [
        f"| `vtrix --help`, {n} | same floor | ≤ 1.3× | {_versus(c['help'])} |",
        f"| `vtrix run --help`, {n} | same | ≤ 1.3× | {_versus(c['run_help'])} |",
        f"| `vtrix run synth_model_0000 --help`, {n} | same | ≤ 1.3× | "
        f"{_versus(c['model_help'])} |",
        f"| `vtrix run synth_model_12<TAB>` (bash completion), {n} | same | ≤ 1.3× | "
        f"{_versus(c['complete'])} |",
        f"| `vtrix models list --offline` ({c['models_listed']:,} rows), {n} | — | ≤ 0.5 s | "
        f"{c['models_list_offline_s']} s {_mark(c['models_list_offline_s'] <= 0.5)} |",
    ]


def _waits(w: dict[str, Any]) -> list[str]:
    rows = []
    cases: list[tuple[str, str, float, Callable[[float], float]]] = [
        ("vtrix", "vtrix protocol (progress reported)", 0.5, lambda t: t + 2),
        ("modellix_cold", "Modellix protocol, model never seen", 1.0, lambda t: t / 2 + 3),
        ("modellix_history", "Modellix protocol, model with a history", 0.5, lambda t: t / 2 + 3),
    ]
    for key, label, limit, budget in cases:
        if key not in w:
            continue
        f = w[key]
        t = float(f["task_seconds"])
        late = f["exit_after_completion_s"]
        polls = f["status_requests"]
        rows.append(
            f"| `vtrix run`, {t:g}-s task, {label}: exit − completion | 0 | median ≤ {limit} s | "
            f"{late} s {_mark(late <= limit)} |"
        )
        rows.append(
            f"| status requests per task, {label} | — | ≤ {budget(t):g} | {polls} "
            f"{_mark(polls <= budget(t))} |"
        )
    if "vtrix" in w:
        rows.append(f"| peak RSS of `vtrix run` | — | report | {w['vtrix']['peak_rss_mb']} MB |")
    return rows


def _batch(b: dict[str, Any]) -> list[str]:
    rows = []
    if "batch_1000" in b:
        f = b["batch_1000"]
        ok = f["wall_s"] <= 25 and f["errors"] == 0 and f["submits"] == f["lines"]
        rows += [
            f"| `vtrix batch`, {f['lines']:,} lines of {f['task_seconds']:g}-s tasks, "
            f"`--concurrency {f['concurrency']}`: wall | — | ≤ 25 s | {f['wall_s']} s "
            f"{_mark(f['wall_s'] <= 25)} |",
            f"| … errors, submits counted at the sandbox | — | 0, {f['lines']:,} | "
            f"{f['errors']}, {f['submits']:,} {_mark(ok)} |",
            f"| … status requests per task (average) | — | ≤ 3 | {f['status_per_task']} "
            f"{_mark(f['status_per_task'] <= 3)} |",
            f"| … peak RSS, threads | — | report | {f['peak_rss_mb']} MB, {f['peak_threads']} |",
        ]
    if "async_1000" in b:
        f = b["async_1000"]
        ok = f["peak_rss_mb"] <= 150 and f["peak_threads"] <= 32
        rows.append(
            f"| {f['runs']:,} concurrent `await client.run(…)` in one process: peak RSS, threads "
            f"({f['succeeded']:,} succeeded, {f['wall_s']} s) | — | ≤ 150 MB, ≤ 32 | "
            f"{f['peak_rss_mb']} MB, {f['peak_threads']} {_mark(ok)} |"
        )
    if "kill_resume" in b:
        f = b["kill_resume"]
        rows.append(
            f"| {f['lines']}-line batch killed (SIGKILL) after {f['killed_after_s']} s "
            f"({f['submits_before_kill']} submitted), run again: submits at the sandbox | — | "
            f"= {f['lines']} | {f['submits_total']} {_mark(f['submits_total'] == f['lines'])} |"
        )
    return rows


def _capacity(c: dict[str, Any]) -> list[str]:
    return [
        f"| sandbox submits per second (32 connections; p50 / p99 latency) | — | ≥ 300 | "
        f"{c['submit_rate']:,} ({c['submit_p50_ms']} / {c['submit_p99_ms']} ms) "
        f"{_mark(c['submit_rate'] >= 300 and c['submit_errors'] == 0)} |",
        f"| sandbox status reads per second (p50 / p99) | — | ≥ 1,500 | "
        f"{c['read_rate']:,} ({c['read_p50_ms']} / {c['read_p99_ms']} ms) "
        f"{_mark(c['read_rate'] >= 1500 and c['read_errors'] == 0)} |",
    ]


def render(r: dict[str, Any]) -> str:
    head = [
        "# Benchmarks",
        "",
        f"Measured on {r['date']} on this project's machine ({r['cpus']} cores, Python "
        f"{r['python']}); start-up timings are medians of {r['reps']} whole-process runs "
        "alternating with the floor. Every section can be measured again alone with the command",
        "in its heading (`make bench` runs them all); the synthetic catalogs come from",
        "`bench/synthetic.py`, the load client is `bench/load.py`.",
        "",
    ]
    sections = [
        ("Start-up and dry run", "startup", "BENCH=startup make bench", _startup),
        ("Code generation", "codegen", "BENCH=codegen make bench", _codegen),
        (
            "10,000 models: code generation",
            "scale_codegen",
            "BENCH=scale make bench",
            _scale_codegen,
        ),
        ("10,000 models: the CLI", "scale_cli", "BENCH=scale make bench", _scale_cli),
        ("Waiting for a task", "waits", "BENCH=waits make bench", _waits),
        ("Batches and async", "batch", "BENCH=batch make bench", _batch),
        ("Sandbox capacity", "capacity", "BENCH=capacity make bench", _capacity),
    ]
    out = head
    for title, key, command, rows in sections:
        out += [
            f"## {title} — `{command}`",
            "",
            "| figure | floor | target | result |",
            "|---|---|---|---|",
            *_section(r, key, command, rows),
            "",
        ]
    return "\n".join(out)
