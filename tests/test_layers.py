"""The layers stay apart: SDK use never loads the CLI, codegen never imports the CLI, and
only the CLI and the sandbox import click or FastAPI."""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
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

import pytest
from codegen.generate import generate_tree
import codegen.fetch, codegen.report, codegen.seed
# The golden record: a model of every gateway's dialect, rendered in this one process.
generate_tree(Path("tests/golden/specs"), update_lock=False)
print(json.dumps(sorted(m for m in sys.modules if m in ("click", "vtrix.cli")
    or m.startswith(("click.", "vtrix.cli.")))))
"""


def test_codegen_imports_nothing_from_the_cli():
    proc = subprocess.run(
        [sys.executable, "-c", CODEGEN_PROBE], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


@functools.cache
def parsed(path: Path) -> ast.Module:
    """A file's syntax tree, parsed once for all the checks of this module."""
    return ast.parse(path.read_text(encoding="utf-8"))


def _is_cli(module: str) -> bool:
    return module == "vtrix.cli" or module.startswith("vtrix.cli.")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_only_the_cli_and_the_sandbox_import_click_or_fastapi():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).parts
        if rel[0] in ("cli", "sandbox", "mcp") or rel[-1] == "__main__.py":
            continue
        bad = {
            m
            for m in _imports(path)
            if m.split(".")[0] in ("click", "fastapi", "uvicorn") or _is_cli(m)
        }
        assert not bad, (path, bad)
    for path in sorted((ROOT / "codegen").rglob("*.py")):
        assert not {m for m in _imports(path) if _is_cli(m) or m == "click"}, path


def test_commands_only_read_flags_and_run_functions_never_reach_back():
    """A command is its click declaration (``cli/commands/``: flags read into an options
    value) and a run function (``cli/run_*.py``) that tests call directly; so nothing but
    the root's lazy table and a command module imports ``cli.commands``, and each click
    callback there is short: it reads flags, it does not do the work."""
    cli = SRC / "cli"
    for path in sorted(cli.rglob("*.py")):
        if path.parent.name == "commands" or path.name == "lazy.py":
            continue
        reaching = {m for m in _imports(path) if m.startswith("vtrix.cli.commands")}
        assert not reaching, (path, reaching)
    for path in sorted((cli / "commands").glob("*.py")):
        if path.name == "sandbox.py":  # its options value is the sandbox's own config
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.FunctionDef) and any(
                "command" in ast.unparse(d) for d in node.decorator_list
            ):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                lines = body[-1].end_lineno - body[0].lineno + 1 if body else 0  # type: ignore[operator]
                assert lines <= 30, (path.name, node.name, lines)


def test_no_function_in_src_is_longer_than_80_lines():
    long = []
    for path in sorted(SRC.rglob("*.py")):
        if "models" in path.relative_to(SRC).parts[:1]:
            continue  # generated
        for node in ast.walk(parsed(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {length}")
    assert not long, long


# ----------------------------------------------------------------- the import graph
#
# The runtime's layers, bottom-up. A module may import only from a lower layer, or from its
# own sub-package (and then without a circle). Every import counts: at the top, inside
# functions, and under TYPE_CHECKING. Within a layer, different packages stay apart
# (the sync and async clients are siblings: neither imports the other).
LAYERS: list[tuple[str, ...]] = [
    ("vtrix._version", "vtrix.errors", "vtrix.base"),  # foundation (with the gateway table)
    ("vtrix.task",),  # the task noun
    ("vtrix.spec", "vtrix.http"),  # specs and schemas; the HTTP policy
    ("vtrix.store", "vtrix.files"),  # config, keys, ledger; downloads and uploads
    ("vtrix.wire",),  # the provider adapters: the only code that knows a wire format
    ("vtrix.engine",),  # session, prepare, plans, polling, registry
    ("vtrix.client", "vtrix.aio"),  # the sync and async clients (siblings)
    ("vtrix", "vtrix.typed", "vtrix.batch"),  # the public package; above both clients
    ("vtrix.models",),  # generated
    ("vtrix.sandbox",),  # the local gateway
    ("vtrix.mcp",),  # the MCP front end (the CLI's `vtrix mcp` starts it; it imports no CLI)
    ("vtrix.cli",),  # the command line
    ("vtrix.__main__",),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Module -> the vtrix modules it imports (anywhere in its file)."""
    files = {
        _module_name(p): p
        for p in root.rglob("*.py")
        if "models" not in p.relative_to(root).parts[:1] or p.name == "__init__.py"
    }
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Import):
                edges.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([base] if base else [])])
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    edges.add(target if target in files else base)
        graph[name] = {e for e in edges if e in files and e != name}
    return graph


def layer_of(module: str) -> tuple[int, str]:
    """(the layer, the package prefix that placed it) of a module: its longest prefix."""
    best = (-1, "")
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best[1]):
                best = (rank, prefix)
    assert best[0] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def layering_problems(graph: dict[str, set[str]]) -> list[str]:
    """Every upward or sideways import, and every circle."""
    problems = []
    for module, targets in sorted(graph.items()):
        rank, home = layer_of(module)
        for target in sorted(targets):
            their_rank, their_home = layer_of(target)
            if their_rank > rank or (their_rank == rank and their_home != home):
                problems.append(f"{module} imports {target} (layer {their_rank} > {rank})")
    problems += [f"import circle: {' -> '.join(c)}" for c in circles(graph)]
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_runtime_imports_only_downwards_and_has_no_circle():
    assert layering_problems(import_graph()) == []


def test_the_layer_check_catches_a_planted_circle_and_an_upward_import():
    graph = import_graph()
    planted = {k: set(v) for k, v in graph.items()}
    planted["vtrix.spec.option"].add("vtrix.spec.describe")
    planted["vtrix.spec.describe"].add("vtrix.spec.option")
    planted["vtrix.engine.registry"].add("vtrix.models")  # upwards
    planted["vtrix.client"].add("vtrix.aio")  # sideways: siblings
    found = layering_problems(planted)
    assert any("circle" in p and "vtrix.spec.describe" in p for p in found), found
    assert "vtrix.engine.registry imports vtrix.models (layer 8 > 5)" in found
    assert "vtrix.client imports vtrix.aio (layer 6 > 6)" in found


def folder_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The import graph between the runtime's folders (``vtrix.store``, ``vtrix.wire``, …):
    a module stands for its package; the top-level modules for themselves."""

    def folder(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 and (SRC / parts[1]).is_dir() else module

    out: dict[str, set[str]] = {}
    for module, targets in graph.items():
        mine = folder(module)
        out.setdefault(mine, set()).update(folder(t) for t in targets if folder(t) != mine)
    return out


def test_no_folder_imports_a_folder_that_imports_it_back():
    assert circles(folder_graph(import_graph())) == []


def test_the_folder_check_catches_a_table_living_above_its_readers():
    graph = {k: set(v) for k, v in import_graph().items()}
    graph["vtrix.store.config"].add("vtrix.wire.base")  # as when the table lived in wire/
    assert ["vtrix.store", "vtrix.wire"] in circles(folder_graph(graph))


# ------------------------------------------------------ no module-global state in cli/


def module_state(source: str) -> list[str]:
    """What in a module's source keeps state between commands: a ``global`` statement, or a
    module-level name bound to a new instance of a class the module defines with instance
    state (an ``__init__``)."""
    tree = ast.parse(source)
    classes = {
        n.name
        for n in tree.body
        if isinstance(n, ast.ClassDef)
        and any(isinstance(f, ast.FunctionDef) and f.name == "__init__" for f in n.body)
    }
    found = [
        f"global {', '.join(n.names)} (line {n.lineno})"
        for n in ast.walk(tree)
        if isinstance(n, ast.Global)
    ]
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in classes
        ):
            found.append(f"{ast.unparse(node).split('=')[0].strip()} = {value.func.id}()")
    return found


def test_the_cli_keeps_no_state_in_module_globals():
    """How a command ends lives on its IO object (vtrix.cli.io), handed down by click."""
    found = {
        str(p.relative_to(SRC)): module_state(p.read_text(encoding="utf-8"))
        for p in sorted((SRC / "cli").rglob("*.py"))
    }
    assert {k: v for k, v in found.items() if v} == {}


def test_the_state_check_catches_a_planted_ending_state():
    planted = (SRC / "cli" / "ending.py").read_text(encoding="utf-8") + (
        "\n\nclass Ending:\n    def __init__(self) -> None:\n        self.printed = False\n"
        "\n\nSTATE = Ending()\n\n\ndef reset() -> None:\n    global STATE\n"
        "    STATE = Ending()\n"
    )
    found = module_state(planted)
    assert len(found) == 2 and found[0].startswith("global STATE"), found
    assert found[1] == "STATE = Ending()"


def test_the_top_of_the_package_is_the_public_face():
    plain = sorted(p.name for p in SRC.glob("*.py"))
    assert len(plain) <= 12, plain
    long = []
    for path in SRC.rglob("*.py"):
        if "models" in path.relative_to(SRC).parts[:1]:
            continue
        lines = path.read_text(encoding="utf-8").count("\n")
        if lines > 450:
            long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not long, long


# ------------------------------------------------------- the environment, read in one place


def environment_reads(source: str) -> list[int]:
    """Lines that read the process environment directly (``os.environ``, ``os.getenv``)."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute)
        and node.attr in ("environ", "getenv", "environb")
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    ]


def test_the_environment_is_read_only_by_the_constants_module():
    """Every variable vtrix reads is listed (and said) in vtrix.base.constants."""
    found = {
        str(p.relative_to(SRC)): environment_reads(p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
        if p.relative_to(SRC).parts[0] != "models" and p.name != "constants.py"
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert environment_reads("import os\nx = os.environ.get('X')\n") == [2]


def test_every_variable_read_is_documented():
    from vtrix.base.constants import ENVIRONMENT

    doc = (SRC / "base" / "constants.py").read_text(encoding="utf-8").split('"""')[1]
    missing = [
        name
        for name in ENVIRONMENT
        if f"``{name}``" not in doc and not name.startswith("XDG_") and name != "ANDROID_DATA"
    ]
    assert missing == []


def test_value_classes_are_written_one_way():
    """Every value class is a ``@record`` (vtrix.base.record): dataclass-like, checked by type
    checkers, and cheap at start-up (docs/architecture.md); no dataclass, no NamedTuple."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] == "models" or path.name == "record.py":
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                decorators = [ast.unparse(d) for d in node.decorator_list]
                if "NamedTuple" in bases or any(d.startswith("dataclass") for d in decorators):
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}")
    assert found == []


# --------------------------------------------------------------- a gateway is one folder

# Where a gateway may be named in code: its row of the table, its folder, the sandbox's
# dialect for it. (Prose — help and docstrings — may name any gateway.)
GATEWAY_HOMES = ("base/gateways.py", "wire/", "sandbox/")


def gateway_mentions(source: str, name: str) -> list[str]:
    """Where code (not prose) names gateway ``name``: an identifier with its name as a word
    (``FAL``, ``fal_key``, ``FalProvider``), or the string ``"fal"`` itself."""
    word = re.compile(rf"(?:^|_){name}(?:_|$)", re.I)
    cls = re.compile(rf"^{name.capitalize()}[A-Z]")
    found = []
    for node in ast.walk(ast.parse(source)):
        ident = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.name
            if isinstance(node, ast.alias)
            else None
        )
        if ident and (word.search(ident) or cls.search(ident)):
            found.append(f"{ident} (line {node.lineno})")  # type: ignore[attr-defined]
        if isinstance(node, ast.Constant) and node.value == name:
            found.append(f"{name!r} (line {node.lineno})")
    return found


@pytest.mark.parametrize("name", ["fal", "replicate", "wavespeed"])
def test_a_newer_gateway_is_named_only_in_its_folder_the_table_and_the_sandbox(name):
    """fal, Replicate and WaveSpeed came in as folders (``wire/<name>/``), rows of the table
    and the sandbox's dialects: the engine, the store, the clients and the front ends never
    name them."""
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(GATEWAY_HOMES) or rel.startswith("models/"):
            continue
        assert gateway_mentions(path.read_text(encoding="utf-8"), name) == [], rel


def test_the_gateway_check_catches_a_planted_mention():
    planted = 'from vtrix.base.gateways import FAL\nif provider == "fal":\n    pass\n'
    assert len(gateway_mentions(planted, "fal")) == 2
    assert gateway_mentions('"""fal can cancel (fal)."""\nfalse = False\n', "fal") == []
