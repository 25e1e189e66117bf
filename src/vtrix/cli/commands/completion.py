"""``vtrix completion bash|zsh|fish``: the shell's completion script."""

from __future__ import annotations

import click

from vtrix.cli.click_types import Word
from vtrix.cli.lazy import summary

HELP = f"""{summary("completion")}

\b
Put one of these in your shell's start-up file:
  bash  (~/.bashrc):                    eval "$(vtrix completion bash)"
  zsh   (~/.zshrc):                     eval "$(vtrix completion zsh)"
  fish  (~/.config/fish/config.fish):   vtrix completion fish | source

Then TAB completes commands, options, model ids (`vtrix run kir<TAB>`, also for
`vtrix models spec` and `--model-slug`), a model's --param keys, and task ids of the ledger
(`vtrix task get <TAB>`). Completion reads the index by prefix: it stays instant with tens of
thousands of models."""


@click.command(name="completion", help=HELP)
@click.argument("shell", type=Word(("bash", "zsh", "fish"), "shell"))
def completion(shell: str) -> None:
    from click.shell_completion import get_completion_class

    from vtrix.cli.main import cli

    cls = get_completion_class(shell)
    assert cls is not None  # the three shells click supports
    click.echo(cls(cli, {}, "vtrix", "_VTRIX_COMPLETE").source())
