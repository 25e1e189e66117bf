"""API keys kept per profile, as options values and run functions (see
:mod:`vtrix.cli.run_model`): ``vtrix auth login|status|logout``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.store.config import Settings


@record(frozen=True)
class LoginOptions:
    """``vtrix auth login``: the key as read (stdin or a hidden prompt, never an argument),
    which gateway it is for (``both``: vtrix and Modellix; ``fal``: fal alone), the profile,
    and whether to ask the gateway first."""

    key: str
    profile: str
    provider: str = "both"
    check: bool = True


def run_auth_login(opts: LoginOptions, io: IO) -> None:
    """Store the key in the profile (file 0600 in a 0700 directory). A key for Modellix is
    checked first on its key-check route: a key it refuses is not stored for it."""
    from vtrix.base.dirs import config_path
    from vtrix.base.secrets import Secret
    from vtrix.errors import UsageError
    from vtrix.store.config import editing_config

    secret = Secret(opts.key)
    problem = secret.problem()
    if problem:
        raise UsageError(
            f"no usable API key was given: it {problem}",
            hint='Pass it on stdin: echo "$KEY" | vtrix auth login --with-token',
        )
    modellix = opts.provider in ("modellix", "both")
    if modellix and opts.check:
        # A key Modellix refuses is stored for vtrix alone, as the warning says.
        modellix = _check_modellix_key(opts.key, io, refuse=opts.provider == "modellix")
    from vtrix.base.gateways import GATEWAYS, MODELLIX, VTRIX

    named = (VTRIX.name, MODELLIX.name) if opts.provider == "both" else (opts.provider,)
    chosen = [n for n in named if n != MODELLIX.name or modellix]  # "both": vtrix and Modellix
    with editing_config() as data:
        prof = data["profiles"].setdefault(opts.profile, {})
        for name in chosen:
            prof[GATEWAYS[name].profile_key] = opts.key
    io.emit(f"Saved key {secret.masked()} to profile {opts.profile!r} ({config_path()})")


def _check_modellix_key(key: str, io: IO, *, refuse: bool) -> bool:
    """Ask Modellix whether it accepts ``key`` (False: it refused, so it is not stored for
    Modellix): a plain refusal stops the login (for a key meant for Modellix alone); an
    unreachable gateway only says the key was not checked."""
    from vtrix.base.constants import environ
    from vtrix.errors import UsageError, VtrixError
    from vtrix.store.config import Settings
    from vtrix.wire.modellix.adapter import ModellixProvider

    reporter = io.reporter()
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


def run_auth_status(settings: Settings, io: IO) -> None:
    """Which key each gateway would use, masked, and where it comes from."""
    from vtrix.base.dirs import config_path
    from vtrix.base.gateways import PROVIDERS
    from vtrix.store.config import read_config

    profiles = sorted(read_config()["profiles"])
    w = max(len(n) for n in (*PROVIDERS, "Profiles")) + 2
    lines = [
        f"{'Profile:':<{w}}{settings.profile}",
        f"{'Config:':<{w}}{config_path()}",
        f"{'Profiles:':<{w}}"
        + (", ".join(profiles) if profiles else "none (vtrix auth login creates one)"),
    ]
    for name in PROVIDERS:
        key = settings.key_for(name)
        if key is None:
            lines.append(f"{name + ':':<{w}}not logged in")
        else:
            lines.append(f"{name + ':':<{w}}{key.masked()} (from {settings.key_source.get(name)})")
    io.emit("\n".join(lines))


def run_auth_logout(profile: str, io: IO) -> None:
    """Remove the stored keys of a profile."""
    from vtrix.store.config import editing_config

    with editing_config() as data:
        removed = data["profiles"].pop(profile, None)
    io.emit(f"Removed profile {profile!r}" if removed else f"Profile {profile!r} held no key")
