"""``vtrix models list`` and ``vtrix models spec``."""

from __future__ import annotations

import json
from typing import Any

import click

from vtrix.cli.completion import complete_model
from vtrix.cli.context import client_for
from vtrix.cli.lazy import summary
from vtrix.gateways import PROVIDERS
from vtrix.output import Reporter, emit, to_json


@click.group(help=summary("models"))
def models() -> None:
    pass


@models.command(name="list")
@click.option("--type", "kind", metavar="TYPE", help="image, video, audio…")
@click.option("--search", metavar="TEXT", help="Keep models whose id or summary has TEXT.")
@click.option("--provider", type=click.Choice(PROVIDERS))
@click.option(
    "--output", "-o", type=click.Choice(["table", "json", "id"]), default="table", show_default=True
)
@click.pass_context
def list_models(
    ctx: click.Context, kind: str | None, search: str | None, provider: str | None, output: str
) -> None:
    """Models of the catalog: live when reachable, else the generated index."""
    from vtrix import registry
    from vtrix.errors import ApiError
    from vtrix.providers.base import CatalogEntry

    client = client_for(ctx)
    try:
        entries = client.models(type=kind, search=search, provider=provider)
        source = "live"
    except ApiError as exc:
        Reporter().warn(f"catalog not reachable ({exc.message}); showing the generated index")
        entries = [
            c
            for e in registry.entries()
            if (not provider or e.provider == provider)
            and (c := CatalogEntry(e.id, e.provider, e.type, e.name, e.summary, e.task)).matches(
                kind, search
            )
        ]
        source = "generated index"
    entries.sort(key=lambda e: (e.provider, e.id))
    if output == "id":
        for e in entries:
            emit(e.id)
    elif output == "json":
        emit(to_json([{**e.__dict__, "source": source} for e in entries]))
    else:
        width = max([len(e.id) for e in entries] + [8])
        lines = [f"{'MODEL':<{width}}  {'PROVIDER':<8}  {'TYPE':<6}  SUMMARY"]
        lines += [f"{e.id:<{width}}  {e.provider:<8}  {e.type:<6}  {e.summary}" for e in entries]
        emit("\n".join(lines))


@models.command(name="spec")
@click.argument("model_id", shell_complete=complete_model)
@click.option(
    "--output", "-o", type=click.Choice(["human", "json"]), default="human", show_default=True
)
@click.pass_context
def spec_cmd(ctx: click.Context, model_id: str, output: str) -> None:
    """The parameter spec of MODEL_ID: live when reachable, else the generated snapshot."""
    client = client_for(ctx)
    info = client.spec_info(model_id)
    if info.source == "generated":
        Reporter().warn(
            "the live spec is not reachable; showing the spec generated into this vtrix version"
        )
    if output == "json":
        emit(to_json(info.raw if info.raw is not None else info.spec.to_dict()))
        return
    emit(render_spec(info.spec.to_dict()))


def _default(value: Any) -> str:
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value)


def render_spec(spec: dict[str, Any]) -> str:
    """The seed page's ``Model:/Name:/Type:/Parameters:`` layout."""
    from vtrix.spec.normalise import iter_fields

    lines = [
        f"Model: {spec['id']}",
        f"Name:  {spec['name']}",
        f"Type:  {spec['type']}",
        "",
        "Parameters:",
    ]
    fields = iter_fields(spec["schema"])
    if not fields:
        lines.append("  (none published)")
    width = max([len(".".join(p)) for p, _, _ in fields] + [17]) + 2
    indent = " " * (2 + width + 10 + 11)
    blocks = []
    for path, sub, required in fields:
        desc = " ".join(str(sub.get("description", "")).split())
        lo, hi = sub.get("minimum"), sub.get("maximum")
        if lo is not None and hi is not None:
            desc += f", range {lo}–{hi}"
        elif lo is not None:
            desc += f", minimum {lo}"
        elif hi is not None:
            desc += f", maximum {hi}"
        kind = sub["type"]
        if kind == "array" and (sub.get("items") or {}).get("type"):
            kind = f"{sub['items']['type']}[]"
        block = [
            f"  {'.'.join(path):<{width}}{kind:<10}"
            f"{'required' if required else 'optional':<11}{desc}".rstrip()
        ]
        if "enum" in sub:
            block.append(indent + "Values: " + " | ".join(str(v) for v in sub["enum"]))
        if "default" in sub:
            block.append(indent + "Default: " + _default(sub["default"]))
        blocks.append("\n".join(block))
    lines.append("\n\n".join(blocks))
    return "\n".join(lines)
