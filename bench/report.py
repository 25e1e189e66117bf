"""bench/RESULTS.md: one row per figure, with its floor or target, the result, whether it is
met, and the command that measures it again. RESULTS.md is itself the record: a run of some
sections rewrites those and keeps every other section's block as committed (each block
carries its date, machine and a digest of the code it exercises in a comment line)."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vtrix.base.text import count

OK, MISS = "✓", "✗"


def _mark(ok: bool) -> str:
    return OK if ok else MISS


def _versus(f: dict[str, Any], limit: float = 1.3) -> str:
    return (
        f"{f['median_s'] * 1000:.0f} ms vs {f['floor_s'] * 1000:.0f} ms = "
        f"**{f['ratio']:.2f}×** {_mark(f['ratio'] <= limit)}"
    )


def _startup(s: dict[str, Any]) -> list[str]:
    floor = "`python -c 'import click'`"
    return [
        f"| `vtrix --help` | {floor} | ≤ 1.3× | {_versus(s['help'])} |",
        f"| `vtrix run --help` | same | ≤ 1.3× | {_versus(s['run_help'])} |",
        f"| `vtrix run kirin_v3_i2v --help` | same | ≤ 1.3× | {_versus(s['model_help'])} |",
        "| `vtrix --dry-run run kirin_v3_i2v --param …` (seed example) | click + pydantic script "
        f"validating a 6-field model, printing JSON | ≤ 1.3× | {_versus(s['dry_run'])} |",
        *(_silent(s["dry_run_silent"]) if "dry_run_silent" in s else []),
        *(
            [
                "| `vtrix mcp`: start to the first `tools/list` answer (stdio, raw JSON-RPC) | "
                f"— | report | {s['mcp']['first_list_s']} s ({s['mcp']['tools']} tools) |"
            ]
            if "mcp" in s
            else []
        ),
        *(_mcp_agent(s["mcp"]) if "check_request_ms" in s.get("mcp", {}) else []),
    ]


def _silent(d: dict[str, Any]) -> list[str]:
    looks = f"{d['looks']} connection{'s' if d['looks'] != 1 else ''} in all"
    return [
        "| … the same, its models service silent (accepts, never answers): later runs "
        f"(not asked again for ten minutes) | same | ≤ 1.3× | {_versus(d['later'])} |",
        "| … its first run in a fresh home: one look, bounded by 1 s | — | report | "
        f"{d['first_s']} s ({looks}) |",
    ]


def _mcp_agent(m: dict[str, Any]) -> list[str]:
    ms = m["check_request_ms"]
    return [
        f"| `vtrix mcp`, warm: a `check_request` call (validation and quote, nothing sent; "
        f"median) | — | ≤ 10 ms | {ms} ms {_mark(ms <= 10)} |",
        f"| `tools/list`, all pages, default tools | — | report | "
        f"{m['list_bytes_default']:,} bytes ({m['list_tools_default']} tools) |",
        f"| `tools/list`, all pages, `--typed '*'` (real catalog) | — | report | "
        f"{m['list_bytes_typed_all']:,} bytes ({m['list_tools_typed_all']} tools) |",
        *([_inspector(m)] if "inspector" in m else []),
    ]


def _inspector(m: dict[str, Any]) -> str:
    state = m["inspector"]
    shown = f"{state} ✓ ({m['inspector_s']} s)" if state == "works" else state
    if state.startswith("failed"):
        shown = f"{state} ✗"
    return (
        "| An agent job through a second MCP client, the MCP Inspector CLI (npx): "
        f"`check_request` names the missing `image_url` | — | works | {shown} |"
    )


def _codegen(c: dict[str, Any]) -> list[str]:
    return [
        f"| `codegen generate`, real snapshot (94 models) | — | report | {c['real_s']} s |",
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
        *(
            [
                f"| `codegen check`, {n} specs, one changed (listed exactly) | — | ≤ 3 s | "
                f"{c['check_one_stale_s']} s {_mark(c['check_one_stale_s'] <= 3)} |"
            ]
            if "check_one_stale_s" in c
            else []
        ),
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
        *(_scale_mcp(c["mcp"], n) if "mcp" in c else []),
    ]


def _scale_mcp(m: dict[str, Any], n: str) -> list[str]:
    first, again = m["typed_first_list_s"], m["typed_list_again_s"]
    return [
        f"| `vtrix mcp --typed '*'`, {n}: start to the first `tools/list` answer "
        f"(a page of {m['typed_tools']:,} tools, `nextCursor` to the rest) | — | ≤ 2 s | "
        f"{first} s {_mark(first <= 2)} |",
        f"| the same, a later `tools/list` | — | report | {again} s |",
    ]


def _waits(w: dict[str, Any]) -> list[str]:
    rows = []
    cases: list[tuple[str, str, float, Callable[[float], float]]] = [
        # A model with a learned duration: the look at submit and one poll at its typical
        # end; a model never seen: at most 4 for a 3-s task.
        ("vtrix", "vtrix protocol (progress reported), model never seen", 0.5, lambda t: 4),
        ("vtrix_history", "vtrix protocol, model with a history", 0.5, lambda t: 2),
        ("modellix_cold", "Modellix protocol, model never seen", 0.5, lambda t: 4),
        ("modellix_history", "Modellix protocol, model with a history", 0.5, lambda t: 2),
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


def _network(n: dict[str, Any]) -> list[str]:
    rows = [
        "| `vtrix task get ID -o json` | a script: click + requests, GET the task URL with the "
        f"key, print the JSON | ≤ 1.2× | {_versus(n['task_get'], 1.2)} |",
        "| `vtrix run kirin_v3_i2v … -o json`, 0-s task | a script: click + pydantic + requests, "
        f"validate, POST, GET the task, print it | ≤ 1.0× | {_versus(n['run'], 1.0)} |",
        f"| import time of that `vtrix run` (`-X importtime`): all, vtrix's own | — | report | "
        f"{n['imports_ms']['total']} ms, {n['imports_ms']['vtrix']} ms |",
    ]
    for case, label, limit in (
        ("cold", "empty ledger", 0.3),
        ("learned_3s", "after the ledger learned 3-s tasks of the model", 0.6),
    ):
        f = n["instant"][case]
        late = f["exit_after_completion_s"]
        rows.append(
            f"| `vtrix run` Modellix model, 0-s task, {label}: exit − completion | 0 | "
            f"≤ {limit} s | {late} s {_mark(late <= limit)} "
            f"({count(f['status_requests'], 'status request')}) |"
        )
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


def _teams(t: dict[str, Any]) -> list[str]:
    f = t["workers"]
    ok = f["submits"] == f["lines"] and set(f["exits"]) == {0}
    return [
        f"| {f['workers']} `vtrix batch --worker` on one PostgreSQL ledger, {f['lines']:,} lines "
        f"of {f['task_seconds']:g}-s tasks, `--concurrency {f['concurrency']}` each: wall | — | "
        f"≤ 25 s | {f['wall_s']} s {_mark(f['wall_s'] <= 25)} |",
        f"| … submits counted at the sandbox; lines per worker | — | = {f['lines']:,} | "
        f"{f['submits']:,}; {', '.join(map(str, f['lines_per_worker']))} {_mark(ok)} |",
        f"| … status requests per task (average) | — | ≤ 3 | {f['status_per_task']} "
        f"{_mark(f['status_per_task'] <= 3)} |",
        f"| … ledger statements per line (all workers) | — | report | {f['statements_per_line']} |",
    ]


def _money(m: dict[str, Any]) -> list[str]:
    f = m["model_based"]
    return [
        f"| model-based money test (tests/test_money_kernel.py), {f['examples']:,} examples on "
        f"SQLite and PostgreSQL: every invariant after every step | — | all hold | "
        f"{'all hold' if f['passed'] else 'FAILED: ' + ' '.join(f['tail'])} {_mark(f['passed'])} |",
        f"| … submits sent, refused by a cap, of unknown outcome, refused by the gateway | — | "
        f"report | {f['sent']:,}, {f['budget_reached']:,}, {f['outcome_unknown']:,}, "
        f"{f['request_rejected']:,} |",
        f"| … submits from separate processes over HTTP; of them SIGKILLed on the wire | — | "
        f"report | {f.get('processes', 0):,}; {f.get('sigkill', 0):,} |",
        f"| … wall | — | report | {f['wall_s']} s |",
    ]


def _capacity(c: dict[str, Any]) -> list[str]:
    return [
        f"| sandbox submits per second (32 connections; p50 / p99 latency) | — | ≥ 300 | "
        f"{c['submit_rate']:,} ({c['submit_p50_ms']} / {c['submit_p99_ms']} ms) "
        f"{_mark(c['submit_rate'] >= 300 and c['submit_errors'] == 0)} |",
        f"| sandbox status reads per second (p50 / p99) | — | ≥ 1,500 | "
        f"{c['read_rate']:,} ({c['read_p50_ms']} / {c['read_p99_ms']} ms) "
        f"{_mark(c['read_rate'] >= 1500 and c['read_errors'] == 0)} |",
    ]


# (title, result key, the bench section that measures it, what it exercises)
SECTIONS: list[tuple[str, str, str, Callable[[Any], list[str]]]] = [
    ("Start-up and dry run", "startup", "startup", _startup),
    ("Code generation", "codegen", "codegen", _codegen),
    ("10,000 models: code generation", "scale_codegen", "scale", _scale_codegen),
    ("10,000 models: the CLI", "scale_cli", "scale", _scale_cli),
    ("Waiting for a task", "waits", "waits", _waits),
    ("Network commands: first request, last poll", "network", "network", _network),
    ("Batches and async", "batch", "batch", _batch),
    ("Teams: batch workers on a shared ledger", "teams", "teams", _teams),
    ("Money under concurrency", "money", "money", _money),
    ("Sandbox capacity", "capacity", "capacity", _capacity),
]
# The files each bench section exercises: a section measured before the latest change to
# any of them is marked as older than the code.
EXERCISES: dict[str, tuple[str, ...]] = {
    "startup": ("src/vtrix", "bench/startup.py", "bench/common.py"),
    "codegen": ("codegen", "src/vtrix/spec", "bench/codegen_scale.py"),
    "scale": ("codegen", "src/vtrix", "bench/codegen_scale.py", "bench/synthetic.py"),
    "waits": ("src/vtrix", "bench/waits.py", "bench/common.py"),
    "network": ("src/vtrix", "bench/startup.py", "bench/waits.py", "bench/common.py"),
    "batch": ("src/vtrix", "bench/batching.py", "bench/common.py"),
    "teams": ("src/vtrix", "bench/teams.py", "bench/batching.py", "bench/common.py"),
    "capacity": ("src/vtrix/sandbox", "bench/load.py"),
    "money": ("src/vtrix", "tests/test_money_kernel.py", "bench/money.py"),
}
_META = re.compile(r"^<!-- bench (?P<key>\w+) (?P<json>\{.*\}) -->$")
_HEADING = re.compile(r"^## .* — `BENCH=(?P<section>\w+) make bench`$")
_LEGACY_DATE = re.compile(
    r"^Measured on (\S+) on this project's machine \((\d+) cores, Python (\S+)\)"
)


def code_digest(root: Path, section: str) -> str:
    """A digest of the source files ``section`` exercises (their paths and bytes)."""
    h = hashlib.sha256()
    for top in EXERCISES[section]:
        base = root / top
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for f in files:
            if "__pycache__" in f.parts:
                continue
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def machine() -> dict[str, Any]:
    return {
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def previous_blocks(text: str) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The blocks of an earlier RESULTS.md by result key (its table and its measurement
    line, never the staleness mark, which is worked out again), and the machine facts of a
    report from before sections carried their own."""
    blocks: dict[str, list[str]] = {}
    legacy: dict[str, Any] = {}
    titles = {title: key for title, key, _, _ in SECTIONS}
    current: list[str] | None = None
    for line in text.splitlines():
        m = _LEGACY_DATE.match(line)
        if m:
            legacy = {"date": m.group(1), "cpus": int(m.group(2)), "python": m.group(3)}
        if line.startswith("## "):
            title = line[3:].split(" — ", 1)[0]
            current = blocks.setdefault(titles[title], []) if title in titles else None
            continue
        if current is not None and not line.startswith("> ⚠"):
            current.append(line)
    return {k: _trim(v) for k, v in blocks.items()}, legacy


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def render(
    measured: dict[str, Any],
    previous: str = "",
    *,
    root: Path | None = None,
    meta: dict[str, dict[str, Any]] | None = None,
) -> str:
    """RESULTS.md: the sections measured now (``measured``, with ``meta`` per bench section:
    date, machine, code digest) and every other section exactly as ``previous`` has it —
    so measuring one section again never loses another's figures. A section whose code
    digest differs from the code now is marked as older than the code."""
    root = root or Path(__file__).resolve().parent.parent
    old, legacy = previous_blocks(previous)
    out = [
        "# Benchmarks",
        "",
        "Each section was measured on this project's machine on the date its line gives, at the",
        "code whose digest it records; start-up timings are medians of whole-process runs",
        "alternating with the floor. Every section can be measured again alone with the",
        "command in its heading (`make bench` runs them all); the other sections are kept as",
        "they were. A section measured before the latest change to the code it exercises is",
        "marked. The synthetic catalogs come from `bench/synthetic.py`, the load client is",
        "`bench/load.py`.",
        "",
    ]
    for title, key, section, rows in SECTIONS:
        command = f"BENCH={section} make bench"
        out += [f"## {title} — `{command}`", ""]
        if key in measured:
            facts = {**(meta or {}).get(section, machine())}
            facts.setdefault("code", code_digest(root, section))
            body = [
                f"<!-- bench {key} {json.dumps(facts, sort_keys=True)} -->",
                f"Measured {facts['date']} ({facts['cpus']} cores, {facts.get('machine', '?')}, "
                f"Python {facts['python']}).",
                "",
                "| figure | floor | target | result |",
                "|---|---|---|---|",
                *rows(measured[key]),
            ]
        elif key in old:
            body = old[key]
            if not any(_META.match(line) for line in body) and legacy:
                body = [
                    f"Measured {legacy['date']} ({legacy['cpus']} cores, Python "
                    f"{legacy['python']}), before sections recorded their code digest.",
                    "",
                    *body,
                ]
        else:
            body = [
                "| figure | floor | target | result |",
                "|---|---|---|---|",
                f"| (not measured yet: `{command}`) | | | |",
            ]
        mark = _staleness(body, root, section, command)
        out += [*mark, *body, ""]
    return "\n".join(out)


def _staleness(body: list[str], root: Path, section: str, command: str) -> list[str]:
    facts = next((json.loads(m["json"]) for m in map(_META.match, body) if m), None)
    if facts is None and any("not measured yet" in line for line in body):
        return []
    if facts is not None and facts.get("code") == code_digest(root, section):
        return []
    files = ", ".join(EXERCISES[section])
    return [
        f"> ⚠ Older than the code it measures ({files} changed since): `{command}` "
        "measures it again.",
        "",
    ]
