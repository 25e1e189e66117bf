"""Shell completion values: model ids (from the index, by prefix, building no command), task
ids (from the ledger), ``--param`` keys (from the model's spec), model types and id globs.

Each ``complete_*`` function has click's ``shell_complete`` signature; none of them fails: a
missing index or ledger completes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import click
    from click.shell_completion import CompletionItem

    from vtrix.engine.registry import IndexEntry

MAX_ITEMS = 2000  # enough for any prefix a person types; bounded for an empty one


def model_ids(prefix: str, *, generated_only: bool = False) -> list[tuple[str, str]]:
    """(id, one-line help) of the models whose id starts with ``prefix``."""
    from vtrix.engine import registry

    out = []
    for entry in registry.entries_with_prefix(prefix):
        if generated_only and not entry.module:
            continue
        out.append((entry.id, f"{entry.type} · {entry.summary}"[:80]))
        if len(out) >= MAX_ITEMS:
            break
    return out


def complete_model(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    from click.shell_completion import CompletionItem

    return [CompletionItem(i, help=h) for i, h in model_ids(incomplete)]


def complete_task(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """Task ids of the ledger, newest first."""
    from click.shell_completion import CompletionItem

    from vtrix.store.ledger import Ledger

    try:
        rows = Ledger().recent(200) or []
    except Exception:  # completion never fails the shell
        return []
    out: list[CompletionItem] = []
    for e in reversed(rows):
        if e.task_id and e.task_id.startswith(incomplete):
            out.append(CompletionItem(e.task_id, help=f"{e.model} · {e.state}"))
    return out


def complete_param(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """``KEY=`` for each parameter of the model whose command this is (``a.b=`` nested)."""
    from click.shell_completion import CompletionItem

    from vtrix.engine import registry
    from vtrix.spec.describe import fields

    if "=" in incomplete or ctx.command.name is None:
        return []
    spec = registry.generated_spec_data(ctx.command.name)
    schema = spec.get("schema") if spec else None
    if not isinstance(schema, dict):
        return []
    out = []
    for f in fields(schema):
        if "[]" not in f.path and f.path.startswith(incomplete):  # items of arrays: JSON
            out.append(CompletionItem(f"{f.path}=", help=f.kind))
    return out


def model_types(entries: Iterable[IndexEntry]) -> set[str]:
    """The types and tasks ``models list --type`` takes (``video``, ``text-to-image`` …)."""
    out: set[str] = set()
    for e in entries:
        out.update(w.lower() for w in (e.type, e.task) if w)
    return out


def complete_type(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """The model types and tasks of the index."""
    from click.shell_completion import CompletionItem

    from vtrix.engine import registry

    words = model_types(registry.entries())
    return [CompletionItem(w) for w in sorted(words) if w.startswith(incomplete.lower())]


def complete_pattern(ctx: click.Context, param: Any, incomplete: str) -> list[CompletionItem]:
    """Model ids for a glob option (``mcp --typed``): a prefix completes to ids, and to the
    prefix with ``*`` for all of them."""
    from click.shell_completion import CompletionItem

    found = model_ids(incomplete.rstrip("*"), generated_only=True)
    items = [CompletionItem(i, help=h) for i, h in found]
    if len(found) > 1:
        items.insert(0, CompletionItem(incomplete.rstrip("*") + "*", help="every one of these"))
    return items
