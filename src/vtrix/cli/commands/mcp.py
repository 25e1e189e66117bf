"""``vtrix mcp``: start the MCP server (:mod:`vtrix.mcp`), safe by default: a workspace of its
own, a bearer token for HTTP kept off the command line, and the keys it will use said at
start. The flags read into options, run by :mod:`vtrix.cli.run_mcp`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from vtrix.cli.completion import complete_pattern
from vtrix.cli.io import io_of
from vtrix.cli.run_options import BUDGET_NAME


def _command_path() -> str:
    """The absolute path of this vtrix (hosts start servers with a bare PATH)."""
    import shutil

    found = shutil.which("vtrix")
    return os.path.abspath(found) if found else "/ABSOLUTE/PATH/TO/vtrix"


CLIENT_ENTRY = json.dumps(
    {
        "mcpServers": {
            "vtrix": {
                "command": _command_path(),
                "args": ["mcp"],
                "env": {"VTRIX_API_KEY": "your-vtrix-key", "MODELLIX_API_KEY": "your-key"},
            }
        }
    },
    indent=2,
)
EPILOG = (
    "Add it to an MCP client (Claude Desktop, Cursor, VS Code …) with the command's absolute "
    'path and the keys in "env" (hosts pass none of your environment), or run `vtrix auth '
    'login` once and leave "env" out:\n\n\b\n'
    + CLIENT_ENTRY
    + "\n\nA key is never a tool argument. Saves and uploads stay under the workspace: "
    "--root, else a directory of vtrix's own (printed at start). HTTP serves "
    "http://127.0.0.1:PORT/mcp and needs a bearer token: VTRIX_MCP_TOKEN, --token-file, or "
    "one made at start into a 0600 file whose path is printed."
)


@click.command(epilog=EPILOG, context_settings={"max_content_width": 100})
@click.option("--http", is_flag=True, help="Serve streamable HTTP on 127.0.0.1 (else stdio).")
@click.option("--port", type=click.IntRange(0, 65535), default=8766, show_default=True)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --http: the bearer token, read from this file (0600).",
)
@click.option("--token", hidden=True, help="Refused: a command line is visible to every user.")
@click.option("--no-auth", is_flag=True, help="With --http: no token at all (loopback only).")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="The workspace: saves and uploads only under it (default: a directory of vtrix's "
    "own; an existing directory; not /, your home or one of its parents).",
)
@click.option(
    "--allow-broad-root",
    is_flag=True,
    help="Accept /, your home directory or a parent of it as --root (the agent may then "
    "upload any file of yours the gateways take).",
)
@click.option(
    "--typed",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Add one typed tool per model whose id matches (a glob; repeatable).",
    shell_complete=complete_pattern,
)
@click.option(
    "--max-spend",
    metavar="AMOUNT",
    help="Refuse submits once their quotes would pass AMOUNT (unknown prices refused). Per "
    "server process: an MCP host starts one per chat, so use --budget-name for a cap that "
    "lasts across them.",
)
@BUDGET_NAME
@click.option(
    "--max-submits",
    type=click.IntRange(min=0),
    help="Refuse submits after this many (per server process).",
)
def mcp(
    http: bool,
    port: int,
    token_file: Path | None,
    token: str | None,
    no_auth: bool,
    root: Path | None,
    allow_broad_root: bool,
    patterns: tuple[str, ...],
    max_spend: str | None,
    budget_name: str | None,
    max_submits: int | None,
) -> None:
    """Serve vtrix's tools to agents over MCP (stdio, or --http)."""
    from vtrix.cli.run_mcp import McpOptions, run_mcp

    opts = McpOptions(
        http=http,
        port=port,
        token_file=token_file,
        token_given=bool(token),
        no_auth=no_auth,
        root=root,
        allow_broad_root=allow_broad_root,
        patterns=patterns,
        max_spend=max_spend,
        budget_name=budget_name,
        max_submits=max_submits,
    )
    run_mcp(opts, io_of(click.get_current_context()))
