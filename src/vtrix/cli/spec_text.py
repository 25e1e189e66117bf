"""A model's spec as text: the README's ``Model:/Name:/Type:/Parameters:`` layout."""

from __future__ import annotations

import json
from typing import Any


def _default(value: Any) -> str:
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value)


def render_spec(spec: dict[str, Any]) -> str:
    """The README's ``Model:/Name:/Type:/Parameters:`` layout; fields of nested objects
    and of arrays' object items (``content[].type``) get rows of their own."""
    from vtrix.spec.describe import fields, range_phrase

    lines = [
        f"Model: {spec['id']}",
        f"Name:  {spec['name']}",
        f"Type:  {spec['type']}",
        "",
        "Parameters:",
    ]
    rows = list(fields(spec["schema"]))
    if not rows:
        lines.append("  (none published)")
    width = max([len(f.path) for f in rows] + [17]) + 2
    indent = " " * (2 + width + 10 + 11)
    blocks = []
    for f in rows:
        sub = f.schema
        desc = " ".join(str(sub.get("description", "")).split())
        bounds = range_phrase(sub)
        if bounds:  # the README's layout: "…, range 3–10"
            desc = desc.rstrip(".") + ", " + bounds.removeprefix("in ")
        required = "required" if f.required else "optional"
        block = [f"  {f.path:<{width}}{f.kind:<10}{required:<11}{desc}".rstrip()]
        if f.parent and f.required:
            where = (
                f"in each item of {f.parent[:-2]}"
                if f.parent.endswith("[]")
                else f"when {f.parent} is given"
            )
            block.append(indent + f"(required {where})")
        if "enum" in sub:
            block.append(indent + "Values: " + " | ".join(str(v) for v in sub["enum"]))
        if "default" in sub:
            block.append(indent + "Default: " + _default(sub["default"]))
        blocks.append("\n".join(block))
    lines.append("\n\n".join(blocks))
    if spec["schema"].get("additionalProperties") is True:
        from vtrix.spec.option import PARTIAL_NOTE

        lines += ["", PARTIAL_NOTE]
    return "\n".join(lines)
