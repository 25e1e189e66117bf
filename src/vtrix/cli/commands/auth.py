"""``vtrix auth login|status|logout``: API keys kept per profile in the config file; the flags
read into options, run by :mod:`vtrix.cli.run_auth`."""

from __future__ import annotations

import sys

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.cli.click_types import Word
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary


@click.group(help=summary("auth"))
def auth() -> None:
    pass


def _profile(ctx: click.Context, profile: str | None) -> str:
    from vtrix.base.constants import env
    from vtrix.cli.context import Globals

    g = ctx.find_object(Globals) or Globals()
    return profile or g.profile or env("VTRIX_PROFILE") or "default"


@auth.command()
@click.option("--with-token", is_flag=True, help="Read the key from stdin (for scripts).")
@click.option(
    "--provider",
    type=Word((*PROVIDERS, "both"), "gateway"),
    default="both",
    show_default=True,
    help="Which gateway the key is for.",
)
@click.option("--profile", metavar="NAME")
@click.option("--no-check", is_flag=True, help="Store the key without asking the gateway.")
@click.pass_context
def login(
    ctx: click.Context, with_token: bool, provider: str, profile: str | None, no_check: bool
) -> None:
    """Store an API key in a profile (file 0600 in a 0700 directory). A key for Modellix is
    checked first on its key-check route (the vtrix gateway has none): a key it refuses is
    not stored."""
    from vtrix.cli.run_auth import LoginOptions, run_auth_login

    if with_token or not sys.stdin.isatty():
        key = sys.stdin.readline().strip()
    else:
        key = click.prompt("API key", hide_input=True).strip()
    opts = LoginOptions(key, _profile(ctx, profile), provider, check=not no_check)
    run_auth_login(opts, io_of(ctx))


@auth.command()
@click.option("--profile", metavar="NAME")
@click.pass_context
def status(ctx: click.Context, profile: str | None) -> None:
    """Which key each gateway would use, masked, and where it comes from."""
    from vtrix.cli.context import Globals
    from vtrix.cli.run_auth import run_auth_status
    from vtrix.store.config import Settings

    g = ctx.find_object(Globals) or Globals()
    run_auth_status(Settings.resolve(api_key=g.api_key, profile=profile or g.profile), io_of(ctx))


@auth.command()
@click.option("--profile", metavar="NAME")
@click.pass_context
def logout(ctx: click.Context, profile: str | None) -> None:
    """Remove the stored keys of a profile."""
    from vtrix.cli.run_auth import run_auth_logout

    run_auth_logout(_profile(ctx, profile), io_of(ctx))
