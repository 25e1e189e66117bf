"""Global options and the client the commands share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from vtrix.client import Client


class Globals:
    """The root command's options, shared with every subcommand (ctx.obj)."""

    def __init__(
        self,
        *,
        dry_run: bool = False,
        debug: bool = False,
        quiet: bool = False,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        proxy: str | None = None,
    ) -> None:
        self.dry_run = dry_run
        self.debug = debug
        self.quiet = quiet
        self.api_key = api_key
        self.profile = profile
        self.base_url = base_url
        self.proxy = proxy


def note_key_in_argv(ctx: click.Context, key: str) -> None:
    """Register a key given on the command line for redaction, and say once why that is a
    bad place for it."""
    from vtrix.base.secrets import Secret
    from vtrix.cli.output import Reporter

    Secret(key)
    root = ctx.find_root()
    if root.meta.get("vtrix.key-warned"):
        return
    root.meta["vtrix.key-warned"] = True
    g = ctx.find_object(Globals) or Globals()
    Reporter(quiet=g.quiet).warn(
        "--api-key puts the key in your shell history and the process list; prefer "
        "VTRIX_API_KEY / MODELLIX_API_KEY or `vtrix auth login --with-token`"
    )


def client_for(
    ctx: click.Context,
    *,
    require_key: bool = False,
    provider: str | None = None,
    api_key: str | None = None,
) -> Client:
    """The shared Client (built on first use); optionally insist on a key for ``provider``."""
    from vtrix.cli import signals
    from vtrix.client import Client

    signals.install()  # from here on, SIGTERM/SIGHUP keep a paid task safe as Ctrl-C does
    root = ctx.find_root()
    g = ctx.find_object(Globals) or Globals()
    if api_key:
        note_key_in_argv(ctx, api_key)
    client: Client | None = root.meta.get("vtrix.client")
    if client is None or api_key:
        client = Client(
            api_key=api_key or g.api_key, profile=g.profile, base_url=g.base_url, proxy=g.proxy
        )
        root.meta["vtrix.client"] = client
    if require_key and provider:
        insist_on_key(client, provider)
    return client


def insist_on_key(client: Client, provider: str) -> None:
    """A UsageError (nothing sent) when ``client`` has no key for ``provider``."""
    from vtrix.errors import UsageError

    if client.settings.key_for(provider) is None:
        from vtrix.base.gateways import GATEWAYS

        raise UsageError(
            f"no API key for {GATEWAYS[provider].label}: nothing was sent",
            hint=f"Set {GATEWAYS[provider].key_env}, pass --api-key, or run `vtrix auth login`. "
            "(--dry-run needs no key.)",
        )
