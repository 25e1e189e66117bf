"""A click group whose subcommands are imported only when used."""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    def __init__(self, *args: object, lazy: dict[str, str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name].split(":")
            cmd: click.Command = getattr(importlib.import_module(module), attr)
            return cmd
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


SHORT_HELP = {
    "run": "Run a model: submit, wait, print the result.",
    "models": "List models and show their parameter specs.",
    "task": "Get, wait for and list tasks.",
    "model": "Modellix-compatible: model invoke --model-slug … --body ….",
    "auth": "Log in, show and remove API keys (profiles).",
    "sandbox": "Start a local gateway speaking both protocols.",
    "help": "Help topics: exit-codes.",
    "status": "Alias of `task get`.",
}
