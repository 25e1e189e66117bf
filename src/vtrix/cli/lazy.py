"""A click group whose subcommands are imported only when used, and the table of them."""

from __future__ import annotations

import importlib

import click


class Command:
    """A top-level command: where it lives and its one line of help."""

    __slots__ = ("help", "target")

    def __init__(self, target: str, help: str) -> None:
        self.target = target  # "module:attribute"
        self.help = help  # the one line shown in `vtrix --help` (and the group's summary)


COMMANDS: dict[str, Command] = {
    "run": Command("vtrix.cli.commands.run:run", "Run a model: submit, wait, print the result."),
    "models": Command(
        "vtrix.cli.commands.catalog:models", "List models and show their parameter specs."
    ),
    "batch": Command(
        "vtrix.cli.commands.batch:batch", "Run many tasks from a JSONL or CSV file, resumably."
    ),
    "task": Command("vtrix.cli.commands.task:task", "Get, wait for and list tasks."),
    "status": Command("vtrix.cli.commands.task:status", "Alias of `vtrix task get`."),
    "model": Command(
        "vtrix.cli.commands.invoke:model",
        "Modellix-compatible: model invoke --model-slug … --body ….",
    ),
    "auth": Command("vtrix.cli.commands.auth:auth", "Log in, show and remove API keys (profiles)."),
    "doctor": Command(
        "vtrix.cli.commands.doctor:doctor",
        "Check keys, URLs, proxies and the ledger (read-only).",
    ),
    "sandbox": Command(
        "vtrix.cli.commands.sandbox:sandbox", "Start a local gateway speaking both protocols."
    ),
    "completion": Command(
        "vtrix.cli.commands.completion:completion", "Print the shell completion script."
    ),
    "quote": Command("vtrix.cli.commands.money:quote", "What a task will cost (nothing sent)."),
    "prices": Command("vtrix.cli.commands.money:prices", "Set the prices of models."),
    "balance": Command("vtrix.cli.commands.money:balance", "What your accounts have left."),
    "spend": Command("vtrix.cli.commands.money:spend", "What tasks cost, from the ledger."),
    "budget": Command(
        "vtrix.cli.commands.budget:budget", "Named budgets kept in the ledger (a team's)."
    ),
    "ledger": Command(
        "vtrix.cli.commands.ledger:ledger", "Where tasks are kept: this machine, or a team's."
    ),
    "mcp": Command("vtrix.cli.commands.mcp:mcp", "Serve vtrix's tools to agents over MCP."),
    "skill": Command("vtrix.cli.commands.skill:skill", "Print a SKILL.md for agents."),
    "help": Command(
        "vtrix.cli.commands.help:help_group", "Help for a command (vtrix help run), or exit-codes."
    ),
}


def summary(name: str) -> str:
    """The one-line help of top-level command ``name`` (the single source)."""
    return COMMANDS[name].help


class LazyGroup(click.Group):
    def __init__(
        self, *args: object, lazy: dict[str, Command] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, attr = self.lazy[cmd_name].target.split(":")
            cmd: click.Command = getattr(importlib.import_module(module), attr)
            return cmd
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, self.lazy[name].help if name in self.lazy else "")
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
