"""The ``run`` group object (kept apart so importing it builds nothing else)."""

from __future__ import annotations

import click

from vtrix.cli.run import RUN_HELP, RunGroup


@click.group(
    cls=RunGroup, help=RUN_HELP, no_args_is_help=True, context_settings={"max_content_width": 100}
)
@click.option("--dry-run", "group_dry_run", is_flag=True, help="Same as the global --dry-run.")
@click.pass_context
def run(ctx: click.Context, group_dry_run: bool) -> None:
    from vtrix.cli.context import Globals

    if group_dry_run:
        g = ctx.ensure_object(Globals)
        g.dry_run = True
