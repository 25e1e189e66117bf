"""``vtrix auth login|status|logout``: API keys kept per profile in the config file."""

from __future__ import annotations

import sys

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.cli.click_types import Word
from vtrix.cli.lazy import summary
from vtrix.cli.output import emit


@click.group(help=summary("auth"))
def auth() -> None:
    pass


def _profile(ctx: click.Context, profile: str | None) -> str:
    from vtrix.cli.context import Globals

    g = ctx.find_object(Globals) or Globals()
    from vtrix.base.constants import env

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
    from vtrix.base.dirs import config_path
    from vtrix.base.secrets import Secret
    from vtrix.errors import UsageError
    from vtrix.store.config import editing_config

    if with_token or not sys.stdin.isatty():
        key = sys.stdin.readline().strip()
    else:
        key = click.prompt("API key", hide_input=True).strip()
    secret = Secret(key)
    problem = secret.problem()
    if problem:
        raise UsageError(
            f"no usable API key was given: it {problem}",
            hint='Pass it on stdin: echo "$KEY" | vtrix auth login --with-token',
        )
    modellix = provider in ("modellix", "both")
    if modellix and not no_check:
        # A key Modellix refuses is stored for vtrix alone, as the warning says.
        modellix = _check_modellix_key(key, refuse=provider == "modellix")
    name = _profile(ctx, profile)
    with editing_config() as data:
        prof = data["profiles"].setdefault(name, {})
        if provider in ("vtrix", "both"):
            prof["api_key"] = key
        if modellix:
            prof["modellix_api_key"] = key
    emit(f"Saved key {secret.masked()} to profile {name!r} ({config_path()})")


def _check_modellix_key(key: str, *, refuse: bool) -> bool:
    """Ask Modellix whether it accepts ``key`` (False: it refused, so it is not stored for
    Modellix): a plain refusal stops the login (for a key meant for Modellix alone); an
    unreachable gateway only says the key was not checked."""

    from vtrix.cli.output import Reporter
    from vtrix.errors import UsageError, VtrixError
    from vtrix.store.config import Settings
    from vtrix.wire.modellix import ModellixProvider

    reporter = Reporter()
    from vtrix.base.constants import environ

    settings = Settings.resolve(env={**environ(), "MODELLIX_API_KEY": key})
    provider = ModellixProvider(settings)
    provider.http.read_attempts, provider.http.read_budget = 1, 5.0  # a login never hangs
    try:
        valid = provider.check_key()
    except VtrixError as exc:
        reporter.warn(f"the key could not be checked with Modellix now ({exc.message})")
        return True
    if valid:
        reporter.ok("Modellix accepts this key")
        return True
    if refuse:
        raise UsageError(
            "Modellix refused this key (it is invalid or expired); it was not stored",
            hint="Copy the key again from the Modellix console, or pass --no-check.",
        )
    reporter.warn("Modellix refused this key: it is stored for vtrix only")
    return False


@auth.command()
@click.option("--profile", metavar="NAME")
@click.pass_context
def status(ctx: click.Context, profile: str | None) -> None:
    """Which key each gateway would use, masked, and where it comes from."""
    from vtrix.base.dirs import config_path
    from vtrix.cli.context import Globals
    from vtrix.store.config import Settings, read_config

    g = ctx.find_object(Globals) or Globals()
    s = Settings.resolve(api_key=g.api_key, profile=profile or g.profile)
    profiles = sorted(read_config()["profiles"])
    lines = [
        f"Profile:  {s.profile}",
        f"Config:   {config_path()}",
        f"Profiles: {', '.join(profiles) if profiles else 'none (vtrix auth login creates one)'}",
    ]
    for name in PROVIDERS:
        key = s.key_for(name)
        if key is None:
            lines.append(f"{name + ':':<9} not logged in")
        else:
            lines.append(f"{name + ':':<9} {key.masked()} (from {s.key_source.get(name)})")
    emit("\n".join(lines))


@auth.command()
@click.option("--profile", metavar="NAME")
@click.pass_context
def logout(ctx: click.Context, profile: str | None) -> None:
    """Remove the stored keys of a profile."""
    from vtrix.store.config import editing_config

    name = _profile(ctx, profile)
    with editing_config() as data:
        removed = data["profiles"].pop(name, None)
    emit(f"Removed profile {name!r}" if removed else f"Profile {name!r} held no key")
