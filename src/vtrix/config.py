"""Settings: API keys, base URLs and profiles, from flags, environment and the config file.

Precedence for a key: ``--api-key`` > environment (``VTRIX_API_KEY``, ``MODELLIX_API_KEY``)
> the profile in the config file. Base URLs: ``--base-url`` > ``VTRIX_MODELS_URL`` /
``VTRIX_GENERATION_URL`` > ``VTRIX_BASE_URL`` (and ``MODELLIX_BASE_URL``) > profile > defaults.

The config file lives in the platform's config dir (``VTRIX_CONFIG_DIR`` overrides), is
written 0600 in a 0700 directory, atomically, under a file lock: any number of processes
may change it at once and none loses another's change. A file that cannot be read is set
aside (renamed, never deleted) with one line on stderr; it never stops a run.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vtrix.errors import UsageError
from vtrix.gateways import (
    DEFAULT_MODELLIX_SCHEMA_URL,
    DEFAULT_MODELLIX_URL,
    DEFAULT_VTRIX_GENERATION_URL,
    DEFAULT_VTRIX_MODELS_URL,
    MODELLIX,
    VTRIX,
)
from vtrix.secrets import Secret

PROFILE_KEYS = (
    "api_key",
    "modellix_api_key",
    "base_url",
    "models_url",
    "generation_url",
    "modellix_base_url",
)


def _dir(env: str, kind: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value)
    import platformdirs

    fn: Callable[..., str] = getattr(platformdirs, f"user_{kind}_dir")
    return Path(fn("vtrix", appauthor=False))


def config_dir() -> Path:
    return _dir("VTRIX_CONFIG_DIR", "config")


def data_dir() -> Path:
    return _dir("VTRIX_DATA_DIR", "data")


def cache_dir() -> Path:
    return _dir("VTRIX_CACHE_DIR", "cache")


def config_path() -> Path:
    return config_dir() / "config.json"


def set_aside(path: Path, why: str) -> Path | None:
    """Rename an unreadable file out of the way (kept, never deleted) and say so once."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        path.rename(aside)
    except FileNotFoundError:
        return None
    except OSError:
        aside = path
    print(f"! {path} {why}; set aside as {aside.name}, starting afresh", file=sys.stderr)
    return aside


def read_config() -> dict[str, Any]:
    """The config file's contents (``{"profiles": {}}`` when absent or set aside)."""
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"profiles": {}}
    except (OSError, ValueError, UnicodeDecodeError):
        set_aside(path, "cannot be read")
        return {"profiles": {}}
    profiles = data.get("profiles", {}) if isinstance(data, dict) else None
    if not isinstance(profiles, dict) or not all(isinstance(p, dict) for p in profiles.values()):
        set_aside(path, "is not in the expected form")
        return {"profiles": {}}
    out: dict[str, Any] = {**data, "profiles": profiles}
    return out


@contextmanager
def editing_config() -> Iterator[dict[str, Any]]:
    """Read, change and write the config file under its lock::

    with editing_config() as data:
        data["profiles"]["p"] = {...}
    """
    from filelock import FileLock

    from vtrix.files import write_text_atomic

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    with FileLock(str(path) + ".lock", timeout=30):
        data = read_config()
        yield data
        write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", mode=0o600)


def check_base_url(url: str, what: str) -> str:
    """Refuse malformed URLs, user info, and plain http:// to anything but loopback."""
    parts = urlsplit(url)
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        hostname = None
    if parts.scheme not in ("http", "https") or not hostname:
        raise UsageError(
            f"{what} {url!r} is not an http(s) URL", hint="Give it as https://host[:port]."
        )
    if "@" in parts.netloc:
        raise UsageError(
            f"{what} carries a user name or password; vtrix refuses it (the key goes in "
            "the Authorization header, and a password in a URL would replace it)",
            hint="Give the URL without user@ and use the API key.",
        )
    if parts.scheme == "http" and not is_loopback_host(hostname):
        raise UsageError(
            f"{what} {url!r} uses plain http:// to a non-loopback host",
            hint="Use https://, or http:// only for localhost/127.0.0.1.",
        )
    return url.rstrip("/")


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (where plain http is allowed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Settings:
    """Everything a client needs to know about where to go and with which key."""

    profile: str = "default"
    api_key: Secret | None = None
    modellix_api_key: Secret | None = None
    models_url: str = DEFAULT_VTRIX_MODELS_URL
    generation_url: str = DEFAULT_VTRIX_GENERATION_URL
    modellix_url: str = DEFAULT_MODELLIX_URL
    modellix_schema_url: str = DEFAULT_MODELLIX_SCHEMA_URL
    key_source: dict[str, str] = field(default_factory=dict)
    explicit_urls: frozenset[str] = frozenset()  # which of the URLs the user set

    def key_for(self, provider: str) -> Secret | None:
        return self.modellix_api_key if provider == MODELLIX.name else self.api_key

    def providers_with_keys(self) -> list[str]:
        return [p for p in (VTRIX.name, MODELLIX.name) if self.key_for(p) is not None]

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Settings:
        """Resolve settings from flags, environment and the config file."""
        env = dict(os.environ) if env is None else env
        name = profile or env.get("VTRIX_PROFILE") or "default"
        stored: dict[str, Any] = {}
        path = config_path()
        if path.exists() or profile:
            profiles = read_config()["profiles"]
            if profile and profile not in profiles:
                known = ", ".join(sorted(profiles)) or "none yet"
                raise UsageError(
                    f"no profile named {profile!r} (profiles: {known})",
                    hint="Create it with `vtrix auth login --profile NAME`; "
                    "`vtrix auth status` lists them.",
                )
            stored = profiles.get(name, {})
        s = cls(profile=name)

        def pick(flag: str | None, env_names: tuple[str, ...], key: str) -> tuple[str, str]:
            if flag:
                return flag, "--api-key" if "api_key" in key else "--base-url"
            for e in env_names:
                if env.get(e):
                    return env[e], e
            if stored.get(key):
                return str(stored[key]), f"profile {name!r}"
            return "", ""

        key, src = pick(api_key, (VTRIX.key_env,), "api_key")
        if key:
            s.api_key, s.key_source[VTRIX.name] = Secret(key), src
        mkey, msrc = pick(api_key, (MODELLIX.key_env,), "modellix_api_key")
        if not mkey:
            mkey, msrc = key, src
        if mkey:
            s.modellix_api_key, s.key_source[MODELLIX.name] = Secret(mkey), msrc

        vbase, _ = pick(base_url, ("VTRIX_BASE_URL",), "base_url")
        models, _ = pick(base_url, ("VTRIX_MODELS_URL",), "models_url")
        gen, _ = pick(base_url, ("VTRIX_GENERATION_URL",), "generation_url")
        mbase, _ = pick(base_url, ("MODELLIX_BASE_URL",), "modellix_base_url")
        explicit: set[str] = set()
        if models or vbase:
            s.models_url = check_base_url(models or vbase, "the vtrix models URL")
            explicit.add("models")
        if gen or vbase:
            s.generation_url = check_base_url(gen or vbase, "the vtrix generation URL")
            explicit.add("generation")
        if mbase:
            s.modellix_url = check_base_url(mbase, "the Modellix base URL")
            s.modellix_schema_url = s.modellix_url
            explicit |= {"modellix", "modellix_schema"}
        schema = env.get("MODELLIX_SCHEMA_URL")
        if schema:
            s.modellix_schema_url = check_base_url(schema, "the Modellix schema URL")
            explicit.add("modellix_schema")
        s.explicit_urls = frozenset(explicit)
        return s
