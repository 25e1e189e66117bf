"""``vtrix models list`` and ``vtrix models spec``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.base.text import for_terminal
from vtrix.cli import ending
from vtrix.cli.click_types import Word
from vtrix.cli.completion import complete_model, complete_type, model_types
from vtrix.cli.context import client_for
from vtrix.cli.lazy import summary
from vtrix.cli.output import Reporter, emit, to_json

if TYPE_CHECKING:
    from vtrix.engine.registry import IndexEntry
    from vtrix.wire.base import CatalogEntry


@click.group(help=summary("models"))
def models() -> None:
    pass


@models.command(name="list")
@click.option(
    "--type",
    "kind",
    metavar="TYPE",
    help="image, video, audio… or a task.",
    shell_complete=complete_type,
)
@click.option("--search", metavar="TEXT", help="Keep models whose id or summary has TEXT.")
@click.option("--provider", type=Word(tuple(PROVIDERS), "gateway"))
@click.option(
    "--vendor", metavar="V", help="Only models of this vendor (bytedance, kling, google…)."
)
@click.option("--typed", is_flag=True, help="Only models with typed options (generated).")
@click.option("--offline", is_flag=True, help="Only the generated index: no network.")
@ending.output_option("table", "json", "id")
@click.pass_context
def list_models(
    ctx: click.Context,
    kind: str | None,
    search: str | None,
    provider: str | None,
    vendor: str | None,
    typed: bool,
    offline: bool,
    output: str,
) -> None:
    """Models of the catalog: each gateway's live list when it answers (the generated index
    for a gateway that does not, or with --offline). TYPED: the model has typed options
    (`vtrix run MODEL --help`); others take --param/--body, checked against a live spec."""
    from vtrix.engine import registry

    index = registry.entries()  # one pass over the index serves every gateway
    if kind:
        _check_type(kind, index)
    rows: list[tuple[CatalogEntry, str]] = []
    for name in [provider] if provider else list(PROVIDERS):
        rows += [r for r in _provider_rows(ctx, name, offline, index) if r[0].matches(kind, search)]
    if vendor:
        rows = [r for r in rows if _vendor_of(r[0]) == vendor.strip().lower()]
    rows.sort(key=lambda r: (r[0].provider, r[0].id))
    typed_ids = {e.id for e in index if e.module}
    if typed:
        rows = [r for r in rows if r[0].id in typed_ids]
    if output == "id":
        emit("\n".join(e.id for e, _ in rows)) if rows else None
    elif output == "json":
        emit(
            to_json([{**e.__dict__, "typed": e.id in typed_ids, "source": src} for e, src in rows])
        )
    else:
        emit(_table([e for e, _ in rows], typed_ids))


def _vendor_of(entry: CatalogEntry) -> str:
    """The vendor of a model: a Modellix slug's first half, a vtrix id's family (from its
    name: "Kling V3" -> kling)."""
    if "/" in entry.id:
        return entry.id.split("/", 1)[0].lower()
    return (entry.name or entry.id).split()[0].split("_")[0].lower()


def _check_type(kind: str, index: list[IndexEntry]) -> None:
    """An unknown ``--type`` is a typo to name (exit 2), never an empty list."""
    import difflib

    from vtrix.errors import UsageError

    known = model_types(index)
    want = kind.strip().lower()
    if want in known:
        return
    close = difflib.get_close_matches(want, sorted(known), n=3, cutoff=0.6)
    raise UsageError(
        f"no model has the type {kind!r}",
        hint=(f"Did you mean: {', '.join(close)}? " if close else "")
        + "Types: "
        + ", ".join(sorted(t for t in known if "-" not in t)),
    )


def _provider_rows(
    ctx: click.Context, name: str, offline: bool, index: list[IndexEntry]
) -> list[tuple[CatalogEntry, str]]:
    """One gateway's catalog: live, else (offline, no key, unreachable) the generated index."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.errors import ApiError

    client = client_for(ctx)
    why = ""
    if offline:
        pass
    elif GATEWAYS[name].catalog_needs_key and client.settings.key_for(name) is None:
        why = f"no {GATEWAYS[name].label} key (vtrix auth login --provider {name})"
    else:
        try:
            with client.session.lookups():  # the generated index stands in: no long retries
                return [(e, "live") for e in client.provider(name).catalog()]
        except ApiError as exc:
            why = f"catalog not reachable ({exc.message})"
    if why:
        Reporter().warn(f"{GATEWAYS[name].label}: {why}; showing the generated index")
    from vtrix.wire.base import CatalogEntry

    return [
        (CatalogEntry(e.id, e.provider, e.type, e.name, e.summary, e.task), "generated index")
        for e in index
        if e.provider == name
    ]


def _table(entries: list[CatalogEntry], typed_ids: set[str]) -> str:
    """The table, each line cut to the terminal's width when stdout is one."""
    import shutil
    import sys

    width = min(max([len(e.id) for e in entries] + [8]), 48)
    lines = [f"{'MODEL':<{width}}  {'PROVIDER':<8}  {'TYPE':<6}  {'TYPED':<5}  SUMMARY"]
    lines += [
        f"{e.id:<{width}}  {e.provider:<8}  {e.type:<6}  {'yes' if e.id in typed_ids else '':<5}  "
        f"{e.summary}"
        for e in entries
    ]
    if sys.stdout.isatty():
        columns = shutil.get_terminal_size().columns
        lines = [line if len(line) <= columns else line[: columns - 1] + "…" for line in lines]
    return "\n".join(lines)


@models.command(name="spec")
@click.argument("model_id", shell_complete=complete_model)
@ending.output_option("human", "json")
@click.option("--raw", is_flag=True, help="The spec exactly as the gateway serves it (JSON).")
@click.option(
    "--agent", is_flag=True, help="The spec's prompt for agents (agent_prompt), as plain text."
)
@click.pass_context
def spec_cmd(ctx: click.Context, model_id: str, output: str, raw: bool, agent: bool) -> None:
    """The parameter spec of MODEL_ID: live when reachable, else the one generated into this
    vtrix. With -o json: id, provider, type, name, summary, endpoint and the parameters as
    one JSON Schema, the same for both gateways (what a script or an agent needs to call
    the model); --raw gives the gateway's own format instead."""
    client = client_for(ctx)
    with client.session.lookups():  # the generated spec stands in: no long retries
        info = client.spec_info(model_id, raw=raw)
    if info.source == "generated":
        Reporter().warn(
            "the live spec is not reachable; showing the spec generated into this vtrix version"
        )
    drift = _drift(info) if not raw else []
    if agent:
        prompt = (info.raw or {}).get("agent_prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            from vtrix.spec.normalise import agent_prompt

            Reporter().warn(f"{model_id}: the gateway serves no agent prompt; made from its spec")
            prompt = agent_prompt(info.spec)
        emit(for_terminal(prompt))
    elif raw:
        emit(to_json(info.raw))
    elif output == "json":
        spec = info.spec
        emit(
            to_json(
                {
                    "id": spec.id,
                    "provider": spec.provider,
                    "type": spec.type,
                    "name": spec.name,
                    "summary": spec.summary,
                    "endpoint": spec.endpoint,
                    "method": spec.method,
                    "source": info.source,
                    "schema": spec.schema,
                    "differs_from_built_in": [str(c) for c in drift],
                }
            )
        )
    else:
        text = render_spec(info.spec.to_dict())
        if drift:
            text += (
                "\n\nThe live spec differs from the one built into this vtrix (checked "
                "against the live one; maintainers: `make specs generate`):\n"
                + "\n".join(f"  {c}" for c in drift)
            )
        emit(text)


def _drift(info: Any) -> list[Any]:
    """How a live spec differs from the generated one, breaking changes first."""
    if info.source != "live":
        return []
    from vtrix.engine import registry
    from vtrix.spec.changes import spec_changes

    built = registry.generated_spec(info.spec.id)
    if built is None or built.schema == info.spec.schema:
        return []
    changes = spec_changes(info.spec.id, built, info.spec)
    return sorted(changes, key=lambda c: not c.breaking)


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
            desc += ", " + bounds.removeprefix("in ")
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
