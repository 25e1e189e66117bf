"""The layers stay apart: SDK use never loads the CLI, codegen never imports the CLI, and
only the CLI and the sandbox import click or FastAPI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from conftest import CANARY, env_for

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "vtrix"

SDK_PROBE = """
import json, os, sys
from vtrix import Client
client = Client()
prepared = client.prepare("kirin_v3_i2v", {"image_url": "https://example.com/a.jpg"})
from vtrix.models import kirin_v3_i2v
result = kirin_v3_i2v.run(image_url="https://example.com/a.jpg", duration=3, timeout=60)
assert result.urls, result
print(json.dumps(sorted(m for m in sys.modules if m in ("click", "vtrix.cli") or m.startswith((
    "click.", "vtrix.cli.", "fastapi", "uvicorn")))))
"""


def test_sdk_use_never_imports_the_cli(sandbox, home):
    env = {**env_for(sandbox), "PATH": "/usr/bin:/bin"}
    import os

    env.update({k: v for k, v in os.environ.items() if k.startswith("VTRIX_") and k not in env})
    proc = subprocess.run(
        [sys.executable, "-c", SDK_PROBE], capture_output=True, text=True, env=env, timeout=90
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []
    assert CANARY not in proc.stdout + proc.stderr


CODEGEN_PROBE = """
import json, sys
from pathlib import Path
from codegen.generate import generate_tree
import codegen.fetch, codegen.report, codegen.seed
generate_tree(Path("specs"), update_lock=False)
print(json.dumps(sorted(m for m in sys.modules if m in ("click", "vtrix.cli")
    or m.startswith(("click.", "vtrix.cli.")))))
"""


def test_codegen_imports_nothing_from_the_cli():
    proc = subprocess.run(
        [sys.executable, "-c", CODEGEN_PROBE], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def _is_cli(module: str) -> bool:
    return module == "vtrix.cli" or module.startswith("vtrix.cli.")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_only_the_cli_and_the_sandbox_import_click_or_fastapi():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).parts
        if rel[0] in ("cli", "sandbox") or rel[-1] == "__main__.py":
            continue
        bad = {
            m
            for m in _imports(path)
            if m.split(".")[0] in ("click", "fastapi", "uvicorn") or _is_cli(m)
        }
        assert not bad, (path, bad)
    for path in sorted((ROOT / "codegen").rglob("*.py")):
        assert not {m for m in _imports(path) if _is_cli(m) or m == "click"}, path


def test_no_function_in_src_is_longer_than_80_lines():
    long = []
    for path in sorted(SRC.rglob("*.py")):
        if "models" in path.relative_to(SRC).parts[:1]:
            continue  # generated
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {length}")
    assert not long, long
