"""The generator: determinism, freshness check, hostile and invalid specs, one namer, stable
module names, typed nested objects, golden output."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import codegen_run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.generate import MODELS_DIR, OUTPUT_DIRS, generate_tree, render
from codegen.specfiles import read_tree
from vtrix.base.gateways import GATEWAYS
from vtrix.spec.clean import SpecError
from vtrix.spec.describe import options
from vtrix.spec.names import assign_module_names
from vtrix.spec.snapshot import Snapshot, dumps, load_snapshot
from vtrix.wire.adapters import normalise_snapshot
from vtrix.wire.modellix.dialect import normalise_modellix

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
    specs = normalise_snapshot(snap)
    return render(snap, specs, assign_module_names([s.id for s in specs], {}))


def tree(root: Path) -> dict[str, str]:
    return {f"{d}/{p}": t for d in OUTPUT_DIRS for p, t in read_tree(root / d).items()}


PROBE = """
import json, sys, typing, warnings
warnings.simplefilter("error")
import vtrix.models, vtrix.engine.registry
vtrix.models.__path__[:] = [{models!r}]
vtrix.engine.registry._DIR = {models!r}
import importlib
from click.testing import CliRunner
from vtrix.cli.model_command import build_command
m = importlib.import_module('vtrix.models.{module}')
spec = vtrix.engine.registry.generated_spec_data({model_id!r})
r = CliRunner().invoke(build_command({model_id!r}, spec), ['--help'], terminal_width=200)
hints = typing.get_type_hints(m.run)
print(json.dumps({{
    'fields': list(m.Params.model_fields),
    'aliases': [f.alias or n for n, f in m.Params.model_fields.items()],
    'bare_aliases': [n for n, f in m.Params.model_fields.items() if f.alias == n],
    'args': [a for a in hints if a not in ('return', 'timeout', 'client', 'idempotency_key')],
    'wire': [m._WIRE.get(n, n) for n in m.Params.model_fields],
    'identity_wire': [n for n, w in m._WIRE.items() if n == w],
    'help_code': r.exit_code, 'help': r.output,
    'pwned': hasattr(sys, 'pwned'),
}}))
"""


def import_generated(files: dict[str, str], tmp: Path, model_id: str) -> dict[str, Any]:
    """Write a rendered tree, then import one model and run its --help in a fresh interpreter
    (warnings are errors there: a pydantic warning fails the import)."""
    for rel, text in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    module = next(
        p[len(MODELS_DIR) + 8 : -5]
        for p, t in files.items()
        if p.startswith(f"{MODELS_DIR}/_specs/") and json.loads(t)["id"] == model_id
    )
    code = PROBE.format(models=str(tmp / MODELS_DIR), module=module, model_id=model_id)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_committed_generated_is_fresh():
    files, _ = generate_tree(ROOT / "specs", update_lock=False)
    assert files == tree(ROOT)


def test_output_is_byte_identical_across_hash_seeds(tmp_path):
    """Two processes with other hash seeds write the golden record byte for byte (its specs
    span every gateway's dialect; the full snapshot's output is checked fresh above)."""
    golden = ROOT / "tests" / "golden"
    specs = tmp_path / "specs"
    shutil.copytree(golden / "specs", specs)  # generate may extend the lock it is given
    outs = []
    for seed in ("1", "12345"):
        out = tmp_path / f"g{seed}"
        args = ["generate", "--specs", str(specs), "--root", str(out)]
        subprocess.run(
            [sys.executable, "-m", "codegen", *args],
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
        )
        outs.append({k: v for k, v in tree(out).items() if not k.endswith("_manifest.json")})
    assert outs[0] == outs[1] == tree(golden / "expected")


def test_every_generated_file_has_a_do_not_edit_header():
    for rel, text in tree(ROOT).items():
        if not text:
            continue
        first = (
            text.splitlines()[0] if not rel.endswith(".json") else json.loads(text)["_generated"]
        )
        assert "DO NOT EDIT" in first, rel


def test_generated_python_is_ruff_formatted():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", str(ROOT / MODELS_DIR)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_lists_stale_files(tmp_path):
    # A generation of the committed snapshot: the repository's own output is exactly that.
    for d in OUTPUT_DIRS:
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    victim = tmp_path / MODELS_DIR / "kirin_v3_i2v.py"
    victim.write_text(victim.read_text() + "\n# hand edit\n")
    (tmp_path / MODELS_DIR / "stray.py").write_text("x = 1\n")
    r = codegen_run("check", "--root", str(tmp_path))
    assert r.returncode == 1
    assert f"stale:   {MODELS_DIR}/kirin_v3_i2v.py" in r.stderr
    assert f"extra:   {MODELS_DIR}/stray.py" in r.stderr


HOSTILE_DESCRIPTIONS = [
    '"""; import os; os.system("echo pwned") #',
    "back\\slash\\",
    'ends with quote"',
    "{{ config }} {% if 1 %}x{% endif %}",
    "line\nbreak\r\n# comment",
    "\x00\x07 control NUL",
    "ünïcødé ✓ 日本",
    "'''",
    "\\N{BULLET}",
    "__import__('sys').pwned = 1",
]
HOSTILE_NAMES = [
    "class",
    "def",
    "import",
    "__init__",
    "model_config",
    "model_dump",
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
    "json",
    "__class__",
    "None",
    "wait",
]


def test_hostile_spec_compiles_imports_and_runs_help(tmp_path):
    props: dict[str, Any] = {}
    for i, name in enumerate(HOSTILE_NAMES):
        props[name] = {
            "type": "string",
            "description": HOSTILE_DESCRIPTIONS[i % len(HOSTILE_DESCRIPTIONS)],
        }
    props["nested"] = {
        "type": "object",
        "description": '"""',
        "properties": {"params": {"type": "integer", "minimum": 0}, "x": {"type": "boolean"}},
    }
    props["none"] = {"type": "object", "properties": {"True": {"type": "string"}}}
    props["choice"] = {"type": "string", "enum": ['"', "'", "\\", "a b", '"""']}
    files = render_snapshot(
        snapshot_with(
            {"evil/model": {"type": "object", "properties": props, "required": ["class"]}}
        )
    )
    for rel, text in files.items():
        if rel.endswith(".py"):
            compile(ast.parse(text), rel, "exec")
            for line in text.splitlines():
                stripped = line.strip()
                if stripped.startswith("#"):
                    assert "pwned" not in stripped and "{{" not in stripped, (rel, line)
    result = import_generated(files, tmp_path, "evil/model")
    assert result["help_code"] == 0
    assert not result["pwned"]
    assert len(result["fields"]) == len(props)
    assert "--output-param" in result["help"] and "renamed" in result["help"]
    assert "--wait-param" in result["help"]
    assert "--nested.params" in result["help"]
    assert "\x00" not in result["help"] and "\x07" not in result["help"]
    # One namer: Params fields, the functions' keywords and _WIRE agree, in wire order;
    # an alias or a _WIRE entry only where the Python name is not the wire name.
    assert result["fields"] == result["args"]
    assert result["aliases"] == result["wire"] == list(props)
    assert result["bare_aliases"] == result["identity_wire"] == []


def test_one_namer_for_params_functions_and_options(tmp_path):
    props = {
        name: {"type": "string"} for name in ("aspectRatio", "aspect_ratio", "123start", "type")
    }
    files = render_snapshot(snapshot_with({"n/m": {"type": "object", "properties": props}}))
    result = import_generated(files, tmp_path, "n/m")
    assert (
        result["fields"]
        == result["args"]
        == ["aspect_ratio", "aspect_ratio_2", "param_123start", "type_"]
    )
    dests = [
        o.dest
        for o in options(
            normalise_snapshot(snapshot_with({"n/m": {"type": "object", "properties": props}}))[
                0
            ].schema
        )
    ]
    assert dests == [f"p_{n}" for n in result["fields"]]


def test_boolean_flag_never_shadows_a_no_parameter():
    schema = {
        "type": "object",
        "properties": {"flag": {"type": "boolean"}, "no-flag": {"type": "string"}},
        "additionalProperties": False,
    }
    opts = {o.wire: o for o in options(schema)}
    assert (opts["flag"].flag, opts["flag"].off_flag) == ("--flag", "--no-flag")
    assert opts["no-flag"].flag == "--no-flag-param"
    from vtrix.cli.model_command import build_body, build_command

    spec = {"id": "x", "name": "x", "type": "image", "provider": "vtrix", "schema": schema}
    cmd = build_command("x", spec)
    ctx = cmd.make_context("x", ["--no-flag", "--no-flag-param", "text"])
    body, problems = build_body(spec, options(schema), ctx.params)
    assert body == {"flag": False, "no-flag": "text"} and not problems


@pytest.mark.parametrize("count", [0, 300])
def test_zero_and_three_hundred_parameters(tmp_path, count):
    props = {
        f"p{i}": {"type": ["string", "integer", "number", "boolean"][i % 4]} for i in range(count)
    }
    files = render_snapshot(snapshot_with({"big/model": {"type": "object", "properties": props}}))
    result = import_generated(files, tmp_path, "big/model")
    assert result["help_code"] == 0 and len(result["fields"]) == count


def test_module_names_never_change_when_models_are_added(tmp_path):
    lock = json.loads((ROOT / "specs" / "module-names.json").read_text())
    assert lock["google/veo-3.1-t2v"] == "google_veo_3_1_t2v"
    grown = assign_module_names([*lock, "google/veo-3-1-t2v", "google/veo_3.1-t2v"], lock)
    assert {k: grown[k] for k in lock} == lock
    assert grown["google/veo-3-1-t2v"] == "google_veo_3_1_t2v_2"
    assert grown["google/veo_3.1-t2v"] == "google_veo_3_1_t2v_3"
    # A name once given stays taken even when its model is gone.
    assert assign_module_names(["other/x"], {"gone/x": "other_x"})["other/x"] == "other_x_2"


def test_generate_extends_the_lock_and_check_refuses_an_unlocked_model(tmp_path):
    specs = tmp_path / "specs"
    spec = snapshot_with({"a/b-c": {"type": "object", "properties": {}}}).modellix_specs["a/b-c"]
    (specs / "modellix" / "a").mkdir(parents=True)
    (specs / "modellix" / "a" / "b-c.json").write_text(dumps(spec))
    (specs / "module-names.json").write_text(json.dumps({"x/a-b-c": "a_b_c"}))
    args = ["--specs", str(specs), "--root", str(tmp_path / "out")]
    r = codegen_run("check", *args)
    assert r.returncode == 1 and "no module name locked for ['a/b-c']" in r.stderr
    assert codegen_run("generate", *args).returncode == 0
    lock = json.loads((specs / "module-names.json").read_text())
    assert lock == {"a/b-c": "a_b_c_2", "x/a-b-c": "a_b_c"}
    assert (tmp_path / "out" / MODELS_DIR / "a_b_c_2.py").exists()


@pytest.mark.parametrize(
    "schema,where,why",
    [
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


@pytest.mark.parametrize(
    "sub,kept,where,why",
    [
        ({"type": "uuid"}, {"type": "string"}, "properties.a.type", "unknown type"),
        (
            {"type": "integer", "minimum": 5, "maximum": 1},
            {"type": "integer"},
            "properties.a.minimum",
            "above",
        ),
        ({"type": "string", "pattern": "("}, {"type": "string"}, "properties.a.pattern", "regular"),
        (
            {"type": "integer", "enum": ["5", "10"], "default": "5"},
            {"type": "integer", "enum": [5, 10], "default": 5},
            "properties.a.enum",
            "read as integers",
        ),
        (
            {"type": "boolean", "enum": ["true", "false"]},
            {"type": "boolean", "enum": [True, False]},
            "properties.a.enum",
            "read as booleans",
        ),
        (
            {"type": "integer", "enum": ["5", "ten"]},
            {"type": "integer"},
            "properties.a.enum[1]",
            "enum ignored",
        ),
        ({"type": "string", "default": 3}, {"type": "string", "default": "3"}, "default", "'3'"),
        ({"type": "string", "frobnicate": 1}, {"type": "string"}, "frobnicate", "unsupported"),
    ],
)
def test_loose_specs_are_read_with_a_warning_naming_spec_and_field(sub, kept, where, why):
    spec = normalise_modellix(
        "x/y",
        {
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {"schema": {"type": "object", "properties": {"a": sub}}}
                    }
                }
            }
        },
        source="specs/modellix/x/y.json",
    )
    assert spec.schema["properties"]["a"] == kept
    assert any(
        w.startswith("specs/modellix/x/y.json: ") and where in w and why in w for w in spec.warnings
    ), spec.warnings


def test_broken_children_tree_stops_generation_and_leaves_output_untouched(tmp_path):
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
    out = tmp_path / "out"
    (out / MODELS_DIR).mkdir(parents=True)
    (out / MODELS_DIR / "keep.txt").write_text("untouched")
    r = codegen_run("generate", "--specs", str(specs), "--root", str(out))
    assert r.returncode == 1
    assert "bad.json: $.parameters[0].children[0].path: broken children tree" in r.stderr
    assert tree(out) == {f"{MODELS_DIR}/keep.txt": "untouched"}


def test_generated_help_for_every_model_shows_typed_options():
    from vtrix.cli.model_command import build_command
    from vtrix.engine import registry

    runner = CliRunner()
    for entry in registry.entries():
        if not entry.module:
            continue
        spec = registry.generated_spec_data(entry.id)
        assert spec is not None
        r = runner.invoke(build_command(entry.id, spec), ["--help"], terminal_width=200)
        assert r.exit_code == 0, (entry.id, r.output)
        assert "--param KEY=VALUE" in r.output
        for opt in options(spec["schema"]):
            assert opt.flag in r.output, (entry.id, opt.flag)


def test_every_generated_module_has_resolvable_type_hints():
    import importlib

    from vtrix.engine import registry

    for entry in registry.entries():
        if entry.module:
            m = importlib.import_module(f"vtrix.models.{entry.module}")
            for fn in (m.run, m.submit):
                hints = typing.get_type_hints(fn)
                assert hints["client"] is not None, entry.id


def test_nested_objects_are_typed_and_generated_submodels_are_accepted(home):
    from vtrix import Client
    from vtrix.models import kirin_v2_6_i2v as k

    hints = typing.get_type_hints(k.submit)
    assert k.CameraControlDict in typing.get_args(hints["camera_control"])
    assert k.CameraControlDict.__required_keys__ == {"type"}
    prepared = Client(api_key="sk-x").prepare(
        "kirin_v2_6_i2v",
        {
            "camera_control": k.CameraControl(
                type="simple", config=k.CameraControlConfig(horizontal=5)
            )
        },
    )
    assert prepared.request.body["params"] == {
        "camera_control": {"type": "simple", "config": {"horizontal": 5.0}}
    }


def test_kirin_help_shows_enum_range_default_required():
    from vtrix.cli.model_command import build_command
    from vtrix.engine import registry

    cmd = build_command("kirin_v3_i2v", registry.generated_spec_data("kirin_v3_i2v"))
    out = CliRunner().invoke(cmd, ["--help"], terminal_width=200).output
    assert "--resolution [480p|720p|1080p]" in out
    assert "3<=x<=10" in out and "[default: 5]" in out
    assert "Input image URL [required]" in out  # vtrix has no upload route: no @FILE


def test_snapshot_files_are_canonical():
    for path in sorted((ROOT / "specs").rglob("*.json")):
        text = path.read_text()
        if path.name != "module-names.json":
            assert text == dumps(json.loads(text)), path


def test_every_snapshot_spec_is_generated():
    snap = load_snapshot(ROOT / "specs")
    from vtrix.engine import registry

    ids = {e.id for e in registry.entries() if e.module}
    assert ids == set(snap.vtrix_specs) | set(snap.modellix_specs)
    assert len(ids) == 94


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.sampled_from(["string", "integer", "number", "boolean", "object"]),
        min_size=1,
        max_size=8,
    )
)
def test_random_property_names_always_render(names):
    props: dict[str, Any] = {}
    for n, t in names.items():
        props[n] = {"type": t, "description": n}
        if t == "object":
            props[n]["properties"] = {n: {"type": "string"}, "x": {"type": "integer"}}
    files = render_snapshot(snapshot_with({"r/m": {"type": "object", "properties": props}}))
    for rel, text in files.items():
        if rel.endswith(".py"):
            compile(ast.parse(text), rel, "exec")


def test_unparsable_spec_file_names_the_file_and_position(tmp_path):
    specs = tmp_path / "specs"
    (specs / "modellix" / "x").mkdir(parents=True)
    (specs / "modellix" / "x" / "y.json").write_text('{"post": {,}}')
    out = tmp_path / "out"
    r = codegen_run("generate", "--specs", str(specs), "--root", str(out))
    assert r.returncode == 1
    assert "y.json: line 1 column 11: not valid JSON" in r.stderr
    assert not out.exists()


def test_stored_options_are_the_derived_ones():
    """`run MODEL --help` reads the options codegen stored; they are what describe derives."""
    from vtrix.spec.describe import spec_options

    for path in sorted((ROOT / "src/vtrix/models/_specs").glob("*.json")):
        data = json.loads(path.read_text())
        assert data["options"], path
        uploads = GATEWAYS[data["provider"]].has_upload
        assert spec_options(data) == options(data["schema"], uploads=uploads), path
