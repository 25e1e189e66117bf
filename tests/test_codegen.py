"""The generator: determinism, freshness check, hostile and invalid specs, golden output."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.generate import render
from codegen.specfiles import read_tree
from vtrix.cli.optionspec import option_specs
from vtrix.spec.normalise import SpecError, normalise_modellix
from vtrix.spec.snapshot import Snapshot, dumps, load_snapshot, normalise_snapshot

ROOT = Path(__file__).resolve().parent.parent


def snapshot_with(specs: dict[str, dict[str, Any]]) -> Snapshot:
    snap = Snapshot()
    for slug, schema in specs.items():
        snap.modellix_specs[slug] = {
            "servers": [{"url": f"https://api.modellix.ai/api/v1/{slug}/async"}],
            "post": {
                "summary": slug,
                "description": "d",
                "requestBody": {"content": {"application/json": {"schema": schema}}},
            },
        }
        snap.modellix_catalog.append({"slug": slug, "type": "image", "description": "d"})
    return snap


def render_snapshot(snap: Snapshot) -> dict[str, str]:
    return render(snap, normalise_snapshot(snap))


def import_generated(files: dict[str, str], tmp: Path, module: str) -> dict[str, Any]:
    """Write a rendered tree and import one model (both modules) in a fresh interpreter."""
    out = tmp / "gen"
    for rel, text in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    code = f"""
import json, sys, types, importlib.util
from pathlib import Path
root = Path({str(out / "models")!r})
import vtrix
pkg = types.ModuleType('vtrix.models'); pkg.__path__ = [str(root)]
sys.modules['vtrix.models'] = pkg
cli = types.ModuleType('vtrix.models._cli'); cli.__path__ = [str(root / '_cli')]
sys.modules['vtrix.models._cli'] = cli
import importlib
m = importlib.import_module('vtrix.models.{module}')
c = importlib.import_module('vtrix.models._cli.{module}')
from click.testing import CliRunner
r = CliRunner().invoke(c.command, ['--help'])
print(json.dumps({{'fields': list(m.Params.model_fields), 'help_code': r.exit_code,
                   'help': r.output, 'pwned': hasattr(sys, 'pwned')}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_committed_generated_is_fresh():
    from codegen.generate import generate_tree

    assert generate_tree(ROOT / "specs") == read_tree(ROOT / "generated")


def test_output_is_byte_identical_across_hash_seeds(tmp_path):
    outs = []
    for seed in ("1", "12345"):
        out = tmp_path / f"g{seed}"
        subprocess.run(
            [sys.executable, "-m", "codegen", "generate", "--out", str(out)],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outs.append(read_tree(out))
    assert outs[0] == outs[1]


def test_every_generated_file_has_a_do_not_edit_header():
    for rel, text in read_tree(ROOT / "generated").items():
        if rel.endswith((".py", ".md")) and text:
            assert "DO NOT EDIT" in text.splitlines()[0], rel


def test_check_lists_stale_files(tmp_path):
    out = tmp_path / "generated"
    subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--out", str(out)],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    victim = out / "models" / "kirin_v3_i2v.py"
    victim.write_text(victim.read_text() + "\n# hand edit\n")
    (out / "models" / "stray.py").write_text("x = 1\n")
    r = subprocess.run(
        [sys.executable, "-m", "codegen", "check", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "stale:   generated/models/kirin_v3_i2v.py" in r.stderr
    assert "extra:   generated/models/stray.py" in r.stderr


HOSTILE_DESCRIPTIONS = [
    '"""; import os; os.system("echo pwned") #',
    "back\\slash\\",
    'ends with quote"',
    "{{ config }} {% if 1 %}x{% endif %}",
    "line\nbreak\r\n# comment",
    "\x00\x07 control",
    "ünïcødé ✓ 日本",
    "'''",
    "\\N{BULLET}",
    "__import__('sys').pwned = 1",
]


def test_hostile_spec_compiles_imports_and_runs_help(tmp_path):
    props: dict[str, Any] = {}
    names = [
        "class",
        "def",
        "import",
        "__init__",
        "model_config",
        "Params",
        "Field",
        "aspectRatio",
        "aspect_ratio",
        "aspect-ratio",
        "123start",
        "ünïcode",
        "self",
        "print",
        "match",
        "type",
        "output",
        "timeout",
        "param",
        "body",
        "client",
        "'; x='",
        "a.b",
        "{{x}}",
        "model_dump",
        "json",
        "__class__",
    ]
    for i, name in enumerate(names):
        props[name] = {
            "type": "string",
            "description": HOSTILE_DESCRIPTIONS[i % len(HOSTILE_DESCRIPTIONS)],
        }
    props["nested"] = {
        "type": "object",
        "description": '"""',
        "properties": {"params": {"type": "integer", "minimum": 0}, "x": {"type": "boolean"}},
    }
    props["choice"] = {"type": "string", "enum": ['"', "'", "\\", "a b", '"""']}
    files = render_snapshot(
        snapshot_with(
            {"evil/model": {"type": "object", "properties": props, "required": ["class"]}}
        )
    )
    for rel, text in files.items():
        if rel.endswith(".py"):
            tree = ast.parse(text)
            compile(tree, rel, "exec")
            for line in text.splitlines():
                stripped = line.strip()
                if stripped.startswith("#"):
                    assert "pwned" not in stripped and "{{" not in stripped, (rel, line)
    result = import_generated(files, tmp_path, "evil_model")
    assert result["help_code"] == 0
    assert not result["pwned"]
    assert len(result["fields"]) == len(props)
    assert "--output-param" in result["help"] and "renamed" in result["help"]
    assert "--nested.params" in result["help"]


@pytest.mark.parametrize("count", [0, 300])
def test_zero_and_three_hundred_parameters(tmp_path, count):
    props = {
        f"p{i}": {"type": ["string", "integer", "number", "boolean"][i % 4]} for i in range(count)
    }
    files = render_snapshot(snapshot_with({"big/model": {"type": "object", "properties": props}}))
    result = import_generated(files, tmp_path, "big_model")
    assert result["help_code"] == 0 and len(result["fields"]) == count


@pytest.mark.parametrize(
    "schema,where,why",
    [
        (
            {"type": "object", "properties": {"a": {"type": "uuid"}}},
            "properties.a.type",
            "unknown type",
        ),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "string", "customTypePath": "os.system"}},
            },
            "properties.a.customTypePath",
            "refused",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "x-python-type": "int"}}},
            "properties.a.x-python-type",
            "refused",
        ),
        ({"type": "object", "properties": {"a": {"$ref": "#/x"}}}, "properties.a.$ref", "refused"),
        (
            {
                "type": "object",
                "properties": {"a": {"type": "integer", "minimum": 5, "maximum": 1}},
            },
            "properties.a.minimum",
            "above",
        ),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}},
            "properties.a.pattern",
            "regular expression",
        ),
        ({"type": "array"}, "schema", "object schema"),
    ],
)
def test_invalid_specs_name_file_path_and_reason(schema, where, why):
    with pytest.raises(SpecError) as exc:
        normalise_modellix(
            "x/y",
            {"post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}},
            source="specs/modellix/x/y.json",
        )
    assert exc.value.source == "specs/modellix/x/y.json"
    assert where in exc.value.json_path
    assert why in exc.value.reason


def test_broken_children_tree_stops_generation_and_leaves_generated_untouched(tmp_path):
    specs = tmp_path / "specs"
    (specs / "vtrix").mkdir(parents=True)
    (specs / "vtrix" / "bad.json").write_text(
        dumps(
            {
                "model_id": "bad",
                "name": "Bad",
                "type": "video",
                "api": {"endpoint": "https://vtrix.ai/model/v1/generation"},
                "parameters": [
                    {
                        "name": "cc",
                        "path": "cc",
                        "type": "object",
                        "children": [{"name": "t", "path": "other.t", "type": "string"}],
                    }
                ],
            }
        )
    )
    out = tmp_path / "generated"
    out.mkdir()
    (out / "keep.txt").write_text("untouched")
    r = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--specs", str(specs), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "bad.json: $.parameters[0].children[0].path: broken children tree" in r.stderr
    assert read_tree(out) == {"keep.txt": "untouched"}


def test_generated_help_for_every_model_shows_typed_options():
    from vtrix import registry

    runner = CliRunner()
    for entry in registry.index().values():
        if not entry.module:
            continue
        mod = registry.command_module(entry)
        r = runner.invoke(mod.command, ["--help"])
        assert r.exit_code == 0, (entry.id, r.output)
        assert "--param KEY=VALUE" in r.output
        for opt in option_specs(mod.SPEC["schema"]):
            assert opt.flag in r.output, (entry.id, opt.flag)


def test_generated_and_dynamic_commands_have_the_same_options():
    from vtrix import registry
    from vtrix.cli.modelcmd import build_command

    for entry in registry.index().values():
        if not entry.module:
            continue
        mod = registry.command_module(entry)
        gen, dyn = mod.command, build_command(entry.id, mod.SPEC)

        def shape(cmd: Any) -> list[tuple[Any, ...]]:
            return [
                (
                    tuple(p.opts),
                    tuple(p.secondary_opts),
                    p.name,
                    type(p.type).__name__,
                    getattr(p.type, "choices", None),
                    getattr(p.type, "min", None),
                    getattr(p.type, "max", None),
                    p.multiple,
                    getattr(p, "help", None),
                    p.metavar,
                )
                for p in cmd.params
            ]

        assert shape(gen) == shape(dyn), entry.id


def test_kirin_help_shows_enum_range_default_required():
    from vtrix import registry

    mod = registry.command_module(registry.lookup("kirin_v3_i2v"))
    out = CliRunner().invoke(mod.command, ["--help"], terminal_width=200).output
    assert "--resolution [480p|720p|1080p]" in out
    assert "3<=x<=10" in out and "[default: 5]" in out
    assert "Input image URL [required]" in out


def test_snapshot_files_are_canonical():
    for path in sorted((ROOT / "specs").rglob("*.json")):
        text = path.read_text()
        assert text == dumps(json.loads(text)), path


def test_every_snapshot_spec_is_generated():
    snap = load_snapshot(ROOT / "specs")
    from vtrix import registry

    ids = {e.id for e in registry.index().values() if e.module}
    assert ids == set(snap.vtrix_specs) | set(snap.modellix_specs)
    assert len(ids) == 68


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.sampled_from(["string", "integer", "number", "boolean"]),
        min_size=1,
        max_size=8,
    )
)
def test_random_property_names_always_render(names):
    props = {n: {"type": t, "description": n} for n, t in names.items()}
    files = render_snapshot(snapshot_with({"r/m": {"type": "object", "properties": props}}))
    for rel, text in files.items():
        if rel.endswith(".py"):
            compile(ast.parse(text), rel, "exec")


def test_unparsable_spec_file_names_the_file_and_position(tmp_path):
    specs = tmp_path / "specs"
    (specs / "modellix" / "x").mkdir(parents=True)
    (specs / "modellix" / "x" / "y.json").write_text('{"post": {,}}')
    out = tmp_path / "generated"
    r = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--specs", str(specs), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "y.json: line 1 column 11: not valid JSON" in r.stderr
    assert not out.exists()
