"""``vtrix help [COMMAND…]``: a command's help (``vtrix help run``, ``vtrix help task wait``,
``vtrix help run kirin_v3_i2v``), or a topic (``vtrix help exit-codes``)."""

from __future__ import annotations

import click

from vtrix.errors import exit_code_table

TOPICS = {"exit-codes": "The exit codes every vtrix command uses."}


@click.command(name="help", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, metavar="[COMMAND…|exit-codes]")
@click.pass_context
def help_group(ctx: click.Context, words: tuple[str, ...]) -> None:
    """The help of a command (as COMMAND --help prints it), or a topic: exit-codes."""
    if list(words) == ["exit-codes"]:
        click.echo("Exit codes:\n" + exit_code_table())
        return
    root = ctx.find_root()
    command: click.Command = root.command
    here = root
    for word in words:
        if not isinstance(command, click.Group):
            break
        found = command.get_command(here, word)
        if found is None:
            import difflib

            known = [*command.list_commands(here), *TOPICS]
            close = difflib.get_close_matches(word, known, n=3, cutoff=0.6)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            raise click.UsageError(f"no command {word!r} to show help for.{hint}", ctx)
        here = click.Context(found, info_name=word, parent=here)
        command = found
    click.echo(command.get_help(here))
