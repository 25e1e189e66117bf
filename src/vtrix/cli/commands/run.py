"""``vtrix run <model_id>``: a group of one command per model, each built on demand."""

from __future__ import annotations

import click

from vtrix.cli.context import Globals, client_for

RUN_HELP = """Submit a generation task and wait for the result.

\b
  vtrix run kirin_v3_i2v --image-url https://example.com/cat.jpg --duration 6
  vtrix run kirin_v3_i2v --param image_url=https://example.com/cat.jpg --output url
  vtrix --dry-run run spark_dance_v2_0 --param prompt="neon city"

Each model has its own typed options: vtrix run MODEL_ID --help. Progress goes to stderr,
the result to stdout. Models below come from the generated index; any other id the gateway
knows works too (its spec is fetched and checked the same way)."""


class RunGroup(click.Group):
    """Resolves ``<model_id>`` lazily: the generated spec, else a live one."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from vtrix import registry

        return [e.id for e in registry.entries() if e.module]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from vtrix import registry
        from vtrix.cli.model_command import build_command

        spec = registry.generated_spec_data(cmd_name)
        if spec is not None:
            return build_command(cmd_name, spec)
        return _live_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from vtrix import registry

        entries = sorted(
            (e for e in registry.entries() if e.module), key=lambda e: (e.provider, e.id)
        )
        if not entries:
            return
        # One line per model, cut to the width (click's write_dl wraps, and is slow for
        # a catalog of thousands).
        width = min(max(len(e.id) for e in entries), 40)
        limit = max((formatter.width or 80) - 2, 40)
        lines = [f"  {e.id:<{width}}  {e.type:<6} {e.summary}"[:limit] for e in entries]
        formatter.write_paragraph()
        formatter.write(
            f"Models ({len(entries)} generated; `vtrix models list` shows the whole catalog):\n"
        )
        formatter.write("\n".join(lines) + "\n")

    def resolve_command(
        self,
        ctx: click.Context,
        args: list[str],
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        cmd = self.get_command(ctx, name)
        if cmd is None:
            raise click.UsageError(
                f"unknown model {name!r}. List models with `vtrix models list`.", ctx
            )
        return name, cmd, args[1:]


def _live_command(ctx: click.Context, model_id: str) -> click.Command | None:
    """A command for a model that is not generated: built from its live spec."""
    from vtrix.cli.model_command import build_command
    from vtrix.errors import ApiError, NotFound

    if not model_id or model_id.startswith("-"):
        return None
    try:
        resolved = client_for(ctx).resolve(model_id)
    except NotFound:
        return None
    except ApiError as exc:
        exc.message = f"cannot load the spec of {model_id!r}: {exc.message}"
        raise
    if not resolved.checked:
        return build_command(model_id, None, resolved=resolved)
    note = "(spec fetched live: this model is not in the generated index)"
    return build_command(model_id, resolved.spec.to_dict(), resolved=resolved, note=note)


@click.group(
    cls=RunGroup, help=RUN_HELP, no_args_is_help=True, context_settings={"max_content_width": 100}
)
@click.option("--dry-run", "group_dry_run", is_flag=True, help="Same as the global --dry-run.")
@click.pass_context
def run(ctx: click.Context, group_dry_run: bool) -> None:
    if group_dry_run:
        ctx.ensure_object(Globals).dry_run = True
