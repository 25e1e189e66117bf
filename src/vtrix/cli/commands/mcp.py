"""``vtrix mcp``: start the MCP server (:mod:`vtrix.mcp`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

CLIENT_ENTRY = json.dumps(
    {"mcpServers": {"vtrix": {"command": "vtrix", "args": ["mcp"]}}}, indent=2
)
EPILOG = (
    "\b\nAdd it to an MCP client (Claude Desktop, Cursor, VS Code …):\n"
    + CLIENT_ENTRY
    + "\n\nKeys come from VTRIX_API_KEY / MODELLIX_API_KEY or `vtrix auth login`, as for the "
    "CLI; a key is never a tool argument. Files are read and written only under --root."
)


@click.command(epilog=EPILOG, context_settings={"max_content_width": 100})
@click.option("--http", is_flag=True, help="Serve streamable HTTP on 127.0.0.1 (else stdio).")
@click.option("--port", type=click.IntRange(0, 65535), default=8766, show_default=True)
@click.option("--token", metavar="TOKEN", help="With --http: require this bearer token.")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The workspace: saves and uploads only under it.",
)
@click.option(
    "--typed",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Add one typed tool per model whose id matches (a glob; repeatable).",
)
@click.option(
    "--max-spend",
    metavar="AMOUNT",
    help="Refuse submits once their quotes would pass AMOUNT (unknown prices refused). Per "
    "server process: an MCP host starts one per chat, so use --budget-name for a cap that "
    "lasts across them.",
)
@click.option(
    "--budget-name",
    metavar="NAME",
    help="Charge every submit to the named budget NAME (`vtrix budget set NAME AMOUNT "
    "[--period day]`): held in the ledger, shared by every server, process and machine.",
)
@click.option(
    "--max-submits",
    type=click.IntRange(min=0),
    help="Refuse submits after this many (per server process).",
)
def mcp(
    http: bool,
    port: int,
    token: str | None,
    root: Path,
    patterns: tuple[str, ...],
    max_spend: str | None,
    budget_name: str | None,
    max_submits: int | None,
) -> None:
    """Serve vtrix's tools to agents over MCP (stdio, or --http)."""
    from vtrix.cli.run_options import max_cost_of
    from vtrix.errors import UsageError

    try:
        from vtrix.mcp.server import serve
    except ImportError:
        raise UsageError(
            "the MCP server needs the `mcp` package", hint="pip install 'vtrix[mcp]'"
        ) from None
    if budget_name:
        _check_budget(budget_name)
    if token:
        from vtrix.base.secrets import Secret

        Secret(token)  # never printed or logged
    root.mkdir(parents=True, exist_ok=True)
    serve(
        root=root,
        typed=list(patterns),
        max_submits=max_submits,
        max_spend=max_cost_of(max_spend, "--max-spend"),
        budget_name=budget_name,
        http=http,
        port=port,
        token=token,
    )


def _check_budget(name: str) -> None:
    """A server whose budget does not exist says so before it starts, not at the first paid
    call."""
    from vtrix.engine.money import budget_account
    from vtrix.errors import UsageError
    from vtrix.store.ledger import Ledger

    account = budget_account(name)
    if Ledger().account(account.name) is None:
        raise UsageError(
            f"there is no budget named {name!r} in the task ledger",
            hint=f"Create it with `vtrix budget set {name} AMOUNT [--period day|week|month]`.",
        )
