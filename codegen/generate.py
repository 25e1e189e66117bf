"""``python -m codegen generate``: specs/ -> generated/.

specs/ is read and normalised (by the runtime's normaliser); datamodel-code-generator turns
every model's schema into a pydantic ``Params`` module in one in-process call; Jinja2
templates add typed functions, a click command module, the index and the docs. Every Python
file is parsed and compiled before generated/ is replaced as a whole.
"""

from __future__ import annotations

import ast
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.render import environment
from vtrix.cli.modelcmd import click_type
from vtrix.cli.optionspec import OptionSpec, option_specs
from vtrix.spec.names import dedupe, python_name
from vtrix.spec.normalise import ModelSpec, SpecError
from vtrix.spec.snapshot import Snapshot, load_snapshot, normalise_snapshot

GENERATOR = "vtrix codegen"


@dataclass
class Arg:
    """One keyword argument of the typed functions."""

    name: str
    wire: str
    annotation: str
    required: bool
    doc: str


@dataclass
class Model:
    spec: ModelSpec
    module: str
    source: str
    args: list[Arg]
    options: list[OptionSpec]


def module_names(specs: list[ModelSpec]) -> list[str]:
    """Deterministic, unique, safe module names, in the order of ``specs``."""
    return dedupe(python_name(s.id.replace("/", "_"), fallback="model") for s in specs)


def py_type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema["type"]
    if kind == "array":
        items = schema.get("items")
        return f"list[{py_type(items)}]" if items else "list[Any]"
    return {
        "string": "str",
        "integer": "int",
        "number": "float",
        "boolean": "bool",
        "object": "dict[str, Any]",
    }[kind]


def arg_doc(schema: dict[str, Any]) -> str:
    from vtrix.validate import describe_expected

    parts = [" ".join(str(schema.get("description", "")).split())]
    parts.append(f"({describe_expected(schema)}")
    if "default" in schema:
        parts[-1] += f"; server default {json.dumps(schema['default'])}"
    parts[-1] += ")"
    return " ".join(p for p in parts if p)


def build_args(schema: dict[str, Any]) -> list[Arg]:
    props = schema.get("properties", {})
    names = dedupe(python_name(w) for w in props)
    required = set(schema.get("required", []))
    return [
        Arg(name=n, wire=w, annotation=py_type(s), required=w in required, doc=arg_doc(s))
        for (w, s), n in zip(props.items(), names, strict=True)
    ]


def type_expr(opt: OptionSpec) -> str:
    """The Python expression of an option's click type (mirrors modelcmd.click_type)."""
    t = click_type(opt)
    name = type(t).__name__
    if name == "Choice":
        return f"vt.Choice({tuple(opt.choices or ())!r})"
    if name in ("IntRange", "FloatRange"):
        return f"vt.{name}({opt.minimum!r}, {opt.maximum!r})"
    return "click.STRING"


def source_path(spec: ModelSpec) -> str:
    return f"specs/{spec.provider}/{spec.id}.json"


def generator_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema handed to datamodel-code-generator: the checked subset minus annotations
    that do not change validation."""
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("title", "examples"):
            continue
        if key == "properties":
            value = {k: generator_schema(v) for k, v in value.items()}
        elif key == "items":
            value = generator_schema(value)
        out[key] = value
    return out


HEADER_MARK = "# @@VTRIX-HEADER@@"


def params_modules(models: list[Model]) -> dict[str, str]:
    """module -> pydantic code, from one in-process datamodel-code-generator call."""
    if not models:
        return {}
    from datamodel_code_generator import (
        DataModelType,
        InputFileType,
        PythonVersion,
        generate,
    )
    from datamodel_code_generator.format import Formatter
    from datamodel_code_generator.parser import LiteralType

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "schemas"
        root.mkdir()
        for m in models:
            (root / f"{m.module}.json").write_text(
                json.dumps(generator_schema(m.spec.schema)), encoding="utf-8"
            )
        out = generate(
            root,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_310,
            enum_field_as_literal=LiteralType.All,
            use_annotated=True,
            field_constraints=True,
            snake_case_field=True,
            formatters=[Formatter.BUILTIN],
            disable_timestamp=True,
            use_double_quotes=True,
            use_field_description=True,
            class_name="Params",
            custom_file_header=HEADER_MARK,
            use_standard_collections=True,
            use_union_operator=True,
        )
    if isinstance(out, str):  # a single model comes back as one string
        return {models[0].module: out}
    assert isinstance(out, dict)
    result: dict[str, str] = {}
    for key, code in out.items():
        name = key[-1] if isinstance(key, tuple) else str(key)
        if name.endswith(".py") and name != "__init__.py":
            result[name[:-3]] = code
    return result


def _params_body(code: str) -> str:
    """datamodel-code-generator's module minus its header, with ``Params`` as the root."""
    body = code.split(HEADER_MARK, 1)[-1].lstrip("\n")
    tree = ast.parse(body)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    if classes and classes[-1] != "Params":
        body += f"\n\nParams = {classes[-1]}\n"
    return body


def build_models(specs: list[ModelSpec]) -> list[Model]:
    return [
        Model(
            spec=s,
            module=mod,
            source=source_path(s),
            args=build_args(s.schema),
            options=option_specs(s.schema),
        )
        for s, mod in zip(specs, module_names(specs), strict=True)
    ]


def render(snap: Snapshot, specs: list[ModelSpec]) -> dict[str, str]:
    """Every file of generated/, by relative path."""
    env = environment()
    models = build_models(specs)
    params = params_modules(models)
    files: dict[str, str] = {}
    for m in models:
        if m.module not in params:
            raise SpecError(m.source, "$", "datamodel-code-generator produced no module")
        ctx = {
            "m": m,
            "spec": m.spec,
            "generator": GENERATOR,
            "params_code": _params_body(params[m.module]),
        }
        files[f"models/{m.module}.py"] = env.get_template("model_module.py.j2").render(ctx)
        files[f"models/_cli/{m.module}.py"] = env.get_template("cli_module.py.j2").render(
            {**ctx, "type_expr": type_expr, "spec_dict": m.spec.to_dict()}
        )
        files[f"docs/{m.module}.md"] = env.get_template("model_doc.md.j2").render(ctx)
    index = index_rows(snap, models)
    common = {"models": models, "index": index, "generator": GENERATOR}
    files["models/__init__.py"] = env.get_template("models_init.py.j2").render(common)
    files["models/_cli/__init__.py"] = env.get_template("cli_init.py.j2").render(common)
    files["models/_index.py"] = env.get_template("index.py.j2").render(common)
    files["models/py.typed"] = ""
    files["docs/index.md"] = env.get_template("catalog.md.j2").render(common)
    for path, text in files.items():
        if path.endswith(".py"):
            try:
                compile(ast.parse(text, filename=path), path, "exec")
            except SyntaxError as exc:
                raise SpecError(
                    path, f"line {exc.lineno}", f"generated code does not compile: {exc.msg}"
                ) from None
    return files


def index_rows(snap: Snapshot, models: list[Model]) -> list[tuple[str, tuple[str, ...]]]:
    """(id, (module, provider, type, name, summary)) for every generated and catalog model."""
    from vtrix.spec.normalise import summary_line

    rows: dict[str, tuple[str, ...]] = {}
    for e in snap.vtrix_catalog:
        rows[str(e["id"])] = (
            "",
            "vtrix",
            str(e.get("type", "")),
            str(e.get("name", "")),
            summary_line(str(e.get("description") or e.get("name") or "")),
        )
    for e in snap.modellix_catalog:
        rows[str(e["slug"])] = (
            "",
            "modellix",
            str(e.get("type", "")),
            str(e["slug"]),
            summary_line(str(e.get("description") or "")),
        )
    for m in models:
        s = m.spec
        rows[s.id] = (m.module, s.provider, s.type, s.name, s.summary)
    return sorted(rows.items())


def generate_tree(specs_dir: Path) -> dict[str, str]:
    snap = load_snapshot(specs_dir)
    return render(snap, normalise_snapshot(snap, specs_dir))
