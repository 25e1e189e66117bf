"""``vtrix models list`` and ``vtrix models spec``: the flags read into options, run by
:mod:`vtrix.cli.run_catalog`."""

from __future__ import annotations

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.cli import ending
from vtrix.cli.click_types import Word
from vtrix.cli.completion import complete_model, complete_type
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary


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
    from vtrix.cli.run_catalog import ListOptions, run_models_list

    opts = ListOptions(kind, search, provider, vendor, typed, offline, output)
    run_models_list(opts, client_for(ctx), io_of(ctx))


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
    from vtrix.cli.run_catalog import SpecOptions, run_models_spec

    run_models_spec(SpecOptions(model_id, output, raw, agent), client_for(ctx), io_of(ctx))


@models.command(name="pin")
@click.argument("model_ids", metavar="MODEL...", nargs=-1, shell_complete=complete_model)
@click.option("--into", metavar="DIR", help="The package directory to write the modules into.")
@click.option("--check", "check_dir", metavar="DIR", help="Say which pinned specs drifted.")
@click.pass_context
def pin_cmd(
    ctx: click.Context, model_ids: tuple[str, ...], into: str | None, check_dir: str | None
) -> None:
    """Generate typed modules (Params, run, submit, arun, asubmit) for MODEL… of any gateway
    into the package DIR of your own, checked by mypy and pyright like the built-in ones;
    --check DIR says which pinned specs the gateways have changed since (exit 1 if any)."""
    from vtrix.cli.run_catalog import PinOptions, run_models_pin
    from vtrix.errors import UsageError

    if bool(into) == bool(check_dir):
        raise UsageError("give --into DIR (with the models to pin), or --check DIR")
    opts = PinOptions(model_ids, into or check_dir or "", check=bool(check_dir))
    code = run_models_pin(opts, client_for(ctx), io_of(ctx))
    if code:
        raise SystemExit(code)
