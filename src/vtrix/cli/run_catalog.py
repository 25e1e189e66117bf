"""The catalog, as options values and run functions (see :mod:`vtrix.cli.run_model`):
``vtrix models list`` (each gateway's live list, else the generated index) and
``vtrix models spec`` (a model's parameters, live when reachable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client
    from vtrix.engine.registry import IndexEntry
    from vtrix.wire.base import CatalogEntry


@record(frozen=True)
class ListOptions:
    """``vtrix models list``: which models (type, text, gateway, vendor, typed only), and
    whether to ask the gateways at all (``offline``: the generated index alone)."""

    kind: str | None = None
    search: str | None = None
    provider: str | None = None
    vendor: str | None = None
    typed: bool = False
    offline: bool = False
    output: str = "table"


@record(frozen=True)
class SpecOptions:
    """``vtrix models spec``: the model, and which form (``raw``: the gateway's own;
    ``agent``: the spec's prompt for agents)."""

    model_id: str
    output: str = "human"
    raw: bool = False
    agent: bool = False


def run_models_list(opts: ListOptions, client: Client, io: IO) -> None:
    """Models of the catalog: each gateway's live list when it answers (the generated index
    for a gateway that does not, or offline), with whether each has typed options."""
    from vtrix.base.gateways import PROVIDERS
    from vtrix.cli.output import to_json
    from vtrix.engine import registry

    io.output = opts.output
    index = registry.entries()  # one pass over the index serves every gateway
    if opts.kind:
        _check_type(opts.kind, index)
    rows: list[tuple[CatalogEntry, str]] = []
    for name in [opts.provider] if opts.provider else list(PROVIDERS):
        found = _provider_rows(client, io, name, opts.offline, index, asked=bool(opts.provider))
        rows += [r for r in found if r[0].matches(opts.kind, opts.search)]
    if opts.vendor:
        rows = [r for r in rows if _vendor_of(r[0]) == opts.vendor.strip().lower()]
    rows.sort(key=lambda r: (r[0].provider, r[0].id))
    typed_ids = {e.id for e in index if e.module}
    if opts.typed:
        rows = [r for r in rows if r[0].id in typed_ids]
    if opts.output == "id":
        if rows:
            io.emit("\n".join(e.id for e, _ in rows))
    elif opts.output == "json":
        shown = [{**e.__dict__, "typed": e.id in typed_ids, "source": src} for e, src in rows]
        io.emit(to_json(shown))
    else:
        io.emit(_table([e for e, _ in rows], typed_ids, io))


def _vendor_of(entry: CatalogEntry) -> str:
    """The vendor of a model: a Modellix slug's first half, a vtrix id's family (from its
    name: "Kling V3" -> kling)."""
    if "/" in entry.id:
        return entry.id.split("/", 1)[0].lower()
    return (entry.name or entry.id).split()[0].split("_")[0].lower()


def _check_type(kind: str, index: list[IndexEntry]) -> None:
    """An unknown ``--type`` is a typo to name (exit 2), never an empty list."""
    import difflib

    from vtrix.cli.completion import model_types
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
    client: Client, io: IO, name: str, offline: bool, index: list[IndexEntry], *, asked: bool
) -> list[tuple[CatalogEntry, str]]:
    """One gateway's catalog: live, else (offline, no key, unreachable) the generated index.
    A gateway with no key and nothing in the index is left out quietly unless ``asked``
    for by name (a user of one gateway is not told about the others each time)."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.errors import ApiError

    why = ""
    bundled = any(e.provider == name for e in index)
    if offline:
        pass
    elif GATEWAYS[name].catalog_needs_key and client.settings.key_for(name) is None:
        if not bundled and not asked:
            return []
        why = f"no {GATEWAYS[name].label} key (vtrix auth login --provider {name})"
    else:
        try:
            with client.session.lookups():  # the generated index stands in: no long retries
                return [(e, "live") for e in client.provider(name).catalog()]
        except ApiError as exc:
            why = f"catalog not reachable ({exc.message})"
    if why:
        io.reporter().warn(f"{GATEWAYS[name].label}: {why}; showing the generated index")
    from vtrix.wire.base import CatalogEntry

    return [
        (CatalogEntry(e.id, e.provider, e.type, e.name, e.summary, e.task), "generated index")
        for e in index
        if e.provider == name
    ]


def _table(entries: list[CatalogEntry], typed_ids: set[str], io: IO) -> str:
    """The table, each line cut to the terminal's width when stdout is one."""
    import shutil

    width = min(max([len(e.id) for e in entries] + [8]), 48)
    pw = max([len(e.provider) for e in entries] + [8])
    tw = max([len(e.type) for e in entries] + [6])
    lines = [f"{'MODEL':<{width}}  {'PROVIDER':<{pw}}  {'TYPE':<{tw}}  {'TYPED':<5}  SUMMARY"]
    lines += [
        f"{e.id:<{width}}  {e.provider:<{pw}}  {e.type:<{tw}}  "
        f"{'yes' if e.id in typed_ids else '':<5}  {e.summary}"
        for e in entries
    ]
    if io.terminal:
        columns = shutil.get_terminal_size().columns
        lines = [line if len(line) <= columns else line[: columns - 1] + "…" for line in lines]
    return "\n".join(lines)


def run_models_spec(opts: SpecOptions, client: Client, io: IO) -> None:
    """The parameter spec of a model: live when reachable, else the one generated into this
    vtrix; as the README's layout, one JSON Schema (``json``), the gateway's own (``raw``)
    or the prompt for agents (``agent``)."""
    from vtrix.base.text import for_terminal
    from vtrix.cli.output import to_json
    from vtrix.cli.spec_text import render_spec

    io.output = opts.output
    reporter = io.reporter()
    with client.session.lookups():  # the generated spec stands in: no long retries
        info = client.spec_info(opts.model_id, raw=opts.raw)
    if info.source == "generated":
        reporter.warn(
            "the live spec is not reachable; showing the spec generated into this vtrix version"
        )
    drift = _drift(info) if not opts.raw else []
    if opts.agent:
        prompt = (info.raw or {}).get("agent_prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            from vtrix.spec.normalise import agent_prompt

            reporter.warn(
                f"{opts.model_id}: the gateway serves no agent prompt; made from its spec"
            )
            prompt = agent_prompt(info.spec)
        io.emit(for_terminal(prompt))
    elif opts.raw:
        io.emit(to_json(info.raw))
    elif opts.output == "json":
        spec = info.spec
        doc = {
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
        io.emit(to_json(doc))
    else:
        text = render_spec(info.spec.to_dict())
        if drift:
            text += (
                "\n\nThe live spec differs from the one built into this vtrix (checked "
                "against the live one; maintainers: `make specs generate`):\n"
                + "\n".join(f"  {c}" for c in drift)
            )
        io.emit(text)


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


@record(frozen=True)
class PinOptions:
    """``vtrix models pin``: the models to pin into ``into``, or (``check``) only say which
    specs pinned there have drifted from what the gateways serve now."""

    models: tuple[str, ...] = ()
    into: str = ""
    check: bool = False


def run_models_pin(opts: PinOptions, client: Client, io: IO) -> int:
    """Generate typed modules for the models into the user's own package (their specs kept
    beside them), or check the pinned ones for drift: 1 when one has drifted, else 0."""
    from pathlib import Path

    from vtrix.errors import UsageError

    pin, pinned_specs = _code_generator()
    into = Path(opts.into)
    if opts.check:
        return _drifted(pinned_specs(into), client, io)
    if not opts.models:
        raise UsageError("name the models to pin (or pass --check DIR)")
    with client.session.lookups():
        specs = [client.spec(model_id) for model_id in opts.models]
    from vtrix.spec.clean import SpecError

    try:
        written = pin(specs, into)
    except SpecError as exc:
        raise UsageError(f"{exc.source}: {exc.reason}; nothing was pinned") from None
    for path in written:
        io.emit(str(path))
    return 0


def _code_generator() -> Any:
    """``codegen.pin``'s two functions. The generator ships with vtrix's source, beside
    ``src/``: a checkout (``make install``) has it; an installed wheel does not yet."""
    import sys
    from pathlib import Path

    from vtrix.errors import UsageError

    checkout = Path(__file__).resolve().parents[3]
    if (checkout / "codegen" / "pin.py").is_file() and str(checkout) not in sys.path:
        sys.path.append(str(checkout))
    try:
        from codegen.pin import pin, pinned_specs
    except ImportError:
        raise UsageError(
            "`vtrix models pin` needs vtrix's code generator, which comes with its source",
            hint="Run it from a checkout of vtrix (make install), with the codegen extra.",
        ) from None
    return pin, pinned_specs


def _drifted(specs: list[Any], client: Client, io: IO) -> int:
    from vtrix.spec.changes import spec_changes

    drifted = 0
    for pinned in specs:
        with client.session.lookups():
            now = client.spec(pinned.id)
        if now.schema == pinned.schema:
            io.emit(f"{pinned.id}: as pinned")
            continue
        drifted += 1
        changes = sorted(spec_changes(pinned.id, pinned, now), key=lambda c: not c.breaking)
        io.emit(f"{pinned.id}: drifted (pin it again):")
        io.emit("\n".join(f"  {c}" for c in changes))
    return 1 if drifted else 0
