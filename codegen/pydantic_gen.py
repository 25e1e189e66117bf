"""The pydantic ``Params`` classes, by datamodel-code-generator, named by vtrix's namer.

Each schema reaches the generator with our class names as titles and every field's Python
name as a scoped alias (``Class.wire``), so the generator only lays the classes out; names
are decided in one place (:mod:`vtrix.spec.names`). Models go in batches, one generator
call a batch, such that no scoped alias means two things within a batch; a model's output
does not depend on which batch it was in.
"""

from __future__ import annotations

import ast
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.model import GenModel

HEADER_MARK = "# @@VTRIX-HEADER@@"


@dataclass
class ParamsCode:
    """The generator's module split into its imports (module -> names) and its classes."""

    imports: dict[str, set[str]]
    body: str


def batches(models: list[GenModel]) -> list[list[GenModel]]:
    """Greedy, deterministic batches in which no two models define a class of the same name.

    The generator names classes across a whole call: two modules with a ``ContentItem``
    each would have one renamed, its scoped aliases (``ContentItem.type``) no longer
    applying — and a model's code would depend on which models it was rendered with (an
    incremental run would differ from a full one)."""
    out: list[tuple[set[str], list[GenModel]]] = []
    for m in models:
        names = _class_names(m.titled_schema)
        for taken, group in out:
            if not names & taken:
                taken.update(names)
                group.append(m)
                break
        else:
            out.append((set(names), [m]))
    return [group for _, group in out]


def _class_names(schema: Any) -> set[str]:
    """The titles of the nested object schemas (each becomes a class; the root is Params)."""
    found: set[str] = set()

    def visit(node: Any, root: bool) -> None:
        if isinstance(node, dict):
            if not root and isinstance(node.get("title"), str):
                found.add(node["title"])
            for value in node.values():
                visit(value, False)
        elif isinstance(node, list):
            for value in node:
                visit(value, False)

    visit(schema, True)
    return found


def generate_batch(models: list[GenModel]) -> dict[str, ParamsCode]:
    """module -> its Params code, from one in-process generator call."""
    from datamodel_code_generator import DataModelType, InputFileType, PythonVersion, generate
    from datamodel_code_generator.parser import LiteralType

    aliases: dict[str, str | list[str]] = {}
    for m in models:
        aliases.update(m.aliases)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "schemas"
        root.mkdir()
        for m in models:
            (root / f"{m.module}.json").write_text(json.dumps(m.titled_schema), encoding="utf-8")
        out = generate(
            root,
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_310,
            enum_field_as_literal=LiteralType.All,
            use_annotated=True,
            field_constraints=True,
            formatters=[],  # ruff formats the whole module afterwards
            disable_timestamp=True,
            use_double_quotes=True,
            use_field_description=True,
            use_title_as_name=True,
            class_name="Params",
            custom_file_header=HEADER_MARK,
            use_standard_collections=True,
            use_union_operator=True,
            aliases=aliases,
            # A renamed field (``type_`` for the wire's ``type``) is also taken by its
            # Python name: what the type checkers see is what runs.
            allow_population_by_field_name=True,
        )
    if isinstance(out, str):  # a single model comes back as one string
        return {models[0].module: split(out)}
    assert isinstance(out, dict)
    result: dict[str, ParamsCode] = {}
    for key, code in out.items():
        name = key[-1] if isinstance(key, tuple) else str(key)
        if name.endswith(".py") and name != "__init__.py":
            result[name[:-3]] = split(code)
    return result


def split(code: str) -> ParamsCode:
    """Separate the generator's imports from its classes (its header is dropped). Its
    unformatted output starts with one-line imports; anything else is left to ``ast``."""
    body = code.split(HEADER_MARK, 1)[-1].lstrip("\n")
    imports: dict[str, set[str]] = {}
    lines = body.splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.startswith("from ") and " import " in line and "(" not in line:
            module, names = line[5:].split(" import ", 1)
            if module != "__future__":
                imports.setdefault(module, set()).update(n.strip() for n in names.split(","))
            continue
        if line.startswith("import ") and "," not in line:
            imports.setdefault(line[7:].strip(), set())
            continue
        if line.startswith(("from ", "import ")):
            return _split_by_ast(body)
        return ParamsCode(imports, "\n".join(lines[i:]).strip() + "\n")
    return ParamsCode(imports, "")


def _split_by_ast(body: str) -> ParamsCode:
    tree = ast.parse(body)
    imports: dict[str, set[str]] = {}
    first_class = len(body.splitlines()) + 1
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module != "__future__":
                imports.setdefault(node.module, set()).update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                imports.setdefault(a.name, set())
        else:
            first_class = min(first_class, node.lineno)
    lines = body.splitlines()
    classes = "\n".join(lines[first_class - 1 :]).strip() + "\n"
    return ParamsCode(imports, classes)
