"""``vtrix run <model_id>``: a group of one command per model, each built on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from vtrix.cli.context import Globals, client_for

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

RUN_HELP = """Submit a generation task and wait for the result.

\b
  vtrix run kirin_v3_i2v --image-url https://example.com/cat.jpg --duration 6
  vtrix run kirin_v3_i2v --param image_url=https://example.com/cat.jpg --output url
  vtrix --dry-run run spark_dance_v2_0 --param prompt="neon city"

Each model has its own typed options: vtrix run MODEL_ID --help. Progress goes to stderr,
the result to stdout. Models below come from the generated index; any other id the gateway
knows works too (its spec is fetched and checked the same way)."""


LIST_AT_MOST = 60  # `run --help` lists the models up to this many, else says how to find one


class RunGroup(click.Group):
    """Resolves ``<model_id>`` lazily: the generated spec, else a live one. Nothing here
    reads the whole index: help and completion cost the same for 60 models or 60,000."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from vtrix.engine import registry

        return registry.ids_with_prefix("", generated_only=True)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from vtrix.cli.model_command import build_command
        from vtrix.engine import registry

        cmd_name = registry.canonical(cmd_name)  # a Modellix model by its last part, too
        spec = registry.generated_spec_data(cmd_name)
        if spec is not None:
            return build_command(cmd_name, spec)
        return _live_command(ctx, cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Model ids from the index (no command is built), then the group's options."""
        from click.shell_completion import CompletionItem

        from vtrix.cli.completion import model_ids

        if incomplete.startswith("-"):
            return super().shell_complete(ctx, incomplete)
        # Every catalog model, typed or not: the same list did-you-mean draws from.
        return [CompletionItem(i, help=h) for i, h in model_ids(incomplete)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from vtrix.engine import registry

        generated, known = registry.count()
        if not generated:
            return
        formatter.write_paragraph()
        if generated > LIST_AT_MOST:
            formatter.write(
                f"Models: {generated:,} with typed options ({known:,} in the catalog). Find one:\n"
                "  vtrix models list --search WORDS [--type video]\n"
                "  vtrix run PREFIX<TAB>    (shell completion: vtrix completion --help)\n"
            )
            return
        entries = sorted(
            (e for e in registry.entries() if e.module), key=lambda e: (e.provider, e.id)
        )
        # One line per model, cut to the width (click's write_dl wraps).
        width = min(max(len(e.id) for e in entries), 40)
        limit = max((formatter.width or 80) - 2, 40)
        lines = [f"  {e.id:<{width}}  {e.type:<6} {e.summary}"[:limit] for e in entries]
        formatter.write(
            f"Models ({generated} generated; `vtrix models list` shows the whole catalog):\n"
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
            if not name or name.startswith("-"):
                raise click.UsageError(f"no model given before {name!r}", ctx)
            from vtrix.engine import registry
            from vtrix.errors import UnknownModel

            raise UnknownModel(name, registry.suggest(name))
        return cmd.name or name, cmd, args[1:]


def _live_command(ctx: click.Context, model_id: str) -> click.Command | None:
    """A command for a model that is not generated: built from its live spec."""
    from vtrix.cli.model_command import build_command
    from vtrix.errors import ApiError, NotFound

    if not model_id or model_id.startswith("-"):
        return None
    client = client_for(ctx)
    try:
        with client.session.lookups():  # an unknown id gets its did-you-mean without a wait
            resolved = client.resolve(model_id)
    except NotFound:
        return None
    except ApiError as exc:
        exc.message = f"cannot load the spec of {model_id!r}: {exc.message}"
        raise
    model_id = resolved.spec.id
    if not resolved.checked:
        return build_command(model_id, None, resolved=resolved)
    note = "(spec fetched live: this model is not in the generated index)"
    return build_command(model_id, resolved.spec.to_dict(), resolved=resolved, note=note)


@click.group(
    cls=RunGroup,
    help=RUN_HELP,
    no_args_is_help=True,
    subcommand_metavar="MODEL_ID [MODEL OPTIONS]...",
    context_settings={"max_content_width": 100},
)
@click.option("--dry-run", "group_dry_run", is_flag=True, help="Same as the global --dry-run.")
@click.pass_context
def run(ctx: click.Context, group_dry_run: bool) -> None:
    if group_dry_run:
        ctx.ensure_object(Globals).dry_run = True
