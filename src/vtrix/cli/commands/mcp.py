"""``vtrix mcp``: start the MCP server (:mod:`vtrix.mcp`), safe by default: a workspace of its
own, a bearer token for HTTP kept off the command line, and the keys it will use said at
start."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from vtrix.cli.completion import complete_pattern
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
    from vtrix.cli.run_options import max_cost_of
    from vtrix.errors import UsageError

    try:
        from vtrix.mcp.serving import serve
    except ImportError:
        raise UsageError(
            "the MCP server needs the `mcp` package", hint="pip install 'vtrix[mcp]'"
        ) from None
    if token:
        raise UsageError(
            "--token puts the token on the command line, where every local user sees it "
            "(ps, /proc); the server was not started",
            hint="Set VTRIX_MCP_TOKEN, or pass --token-file PATH (a 0600 file).",
        )
    workspace = _workspace(root, allow_broad_root)
    secret = _token(token_file, no_auth) if http else None
    if budget_name:
        _check_budget(budget_name)
    _say("workspace " + str(workspace) + " (saves and uploads stay under it)")
    _say_keys()
    _check_patterns(patterns)
    serve(
        root=workspace,
        typed=list(patterns),
        max_submits=max_submits,
        max_spend=max_cost_of(max_spend, "--max-spend"),
        budget_name=budget_name,
        http=http,
        port=port,
        token=secret,
    )


def _say(text: str) -> None:
    print(f"vtrix mcp: {text}", file=sys.stderr, flush=True)


def _workspace(root: Path | None, broad: bool) -> Path:
    """The server's workspace: ``--root`` (an existing directory, not / or HOME or one of
    its parents unless ``broad``), else a directory of vtrix's own in the data dir."""
    from vtrix.base.dirs import data_dir, private_dir
    from vtrix.errors import UsageError

    if root is None:
        return private_dir(data_dir() / "mcp-workspace")
    given = root.expanduser()
    if not given.is_dir():
        raise UsageError(
            f"--root {root}: no such directory; the server was not started",
            hint="Create it first, or leave --root out for a workspace of vtrix's own.",
        )
    resolved = given.resolve()
    home = Path.home().resolve()
    if not broad and (resolved == home or resolved in home.parents or resolved == Path("/")):
        raise UsageError(
            f"--root {root} would let the agent read (and upload to a gateway) any file under "
            f"{resolved}; the server was not started",
            hint="Give a project directory, leave --root out for a workspace of vtrix's own, "
            "or pass --allow-broad-root if you mean it.",
        )
    return resolved


def _token(token_file: Path | None, no_auth: bool) -> str | None:
    """The HTTP bearer token: VTRIX_MCP_TOKEN, --token-file, or one made now into a 0600
    file (its path printed, never the token); None only with --no-auth."""
    import secrets

    from vtrix.base.atomic import write_text_atomic
    from vtrix.base.dirs import data_dir, private_dir
    from vtrix.base.secrets import Secret
    from vtrix.errors import UsageError

    if no_auth:
        _say("!! --no-auth: ANY local process may call the paid tools; for a deliberate run only")
        return None
    from vtrix.base.constants import env

    found = env("VTRIX_MCP_TOKEN")
    if token_file is not None:
        try:
            if token_file.stat().st_mode & 0o077:
                raise UsageError(
                    f"--token-file {token_file} is readable by others; the server was not started",
                    hint=f"chmod 600 {token_file}",
                )
            found = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--token-file {token_file}: {exc.strerror}") from None
        if not found:
            raise UsageError(f"--token-file {token_file} is empty")
    if not found:
        path = private_dir(data_dir()) / "mcp-token"
        found = secrets.token_urlsafe(32)
        write_text_atomic(path, found + "\n", mode=0o600)
        _say(f"bearer token made in {path} (send it as Authorization: Bearer <token>)")
    Secret(found)  # never printed or logged
    return found


def _say_keys() -> None:
    """Which gateways this server can submit to (hosts pass no environment of yours)."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.store.config import Settings

    try:
        settings = Settings.resolve()
    except Exception:  # an unreadable config says so when the first call reads it
        return
    parts = []
    for name, gateway in GATEWAYS.items():
        source = settings.key_source.get(name)
        parts.append(
            f"{gateway.label}: key from {source}"
            if settings.key_for(name) is not None
            else f'{gateway.label}: NO KEY (set {gateway.key_env} in the host\'s "env", or '
            "run `vtrix auth login`)"
        )
    _say("; ".join(parts))


def _check_patterns(patterns: tuple[str, ...]) -> None:
    from vtrix.errors import UsageError
    from vtrix.mcp.tools import matching_models

    for pattern in patterns:
        if not matching_models([pattern]):
            raise UsageError(
                f"--typed {pattern!r} matches no model with a spec; the server was not started",
                hint="`vtrix models list --typed` lists them.",
            )


def _check_budget(name: str) -> None:
    """A server whose budget does not exist says so before it starts, not at the first paid
    call."""
    from vtrix.engine.money import budget_account
    from vtrix.store.accounts import current
    from vtrix.store.ledger import Ledger

    ledger = Ledger()
    ledger.check(count=False)
    current(ledger.database, budget_account(name))  # the check every charged submit makes
