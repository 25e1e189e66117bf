"""Settings: API keys, base URLs and profiles, from flags, environment and the config file.

Precedence for a key: ``--api-key`` > environment (``VTRIX_API_KEY``, ``MODELLIX_API_KEY``)
> the profile in the config file. Base URLs: ``--base-url`` > ``VTRIX_MODELS_URL`` /
``VTRIX_GENERATION_URL`` > ``VTRIX_BASE_URL`` (and ``MODELLIX_BASE_URL``) > profile > defaults.
The config file lives in the platform's config dir (``VTRIX_CONFIG_DIR`` overrides), is
written 0600 in a 0700 directory, and those modes are re-applied on every write.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vtrix.errors import UsageError
from vtrix.gateways import (
    DEFAULT_MODELLIX_SCHEMA_URL,
    DEFAULT_MODELLIX_URL,
    DEFAULT_VTRIX_MODELS_URL,
    MODELLIX,
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


def config_dir() -> Path:
    env = os.environ.get("VTRIX_CONFIG_DIR")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("vtrix", appauthor=False))


def data_dir() -> Path:
    env = os.environ.get("VTRIX_DATA_DIR")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("vtrix", appauthor=False))


def cache_dir() -> Path:
    env = os.environ.get("VTRIX_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vtrix", appauthor=False))


def config_path() -> Path:
    return config_dir() / "config.json"


def read_config() -> dict[str, Any]:
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"profiles": {}}
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(
            f"cannot read the config file {path}: {exc.__class__.__name__}",
            hint="Fix or delete it, then run `vtrix auth login` again.",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles", {}), dict):
        raise UsageError(
            f"the config file {path} is not in the expected form",
            hint="Delete it and run `vtrix auth login` again.",
        )
    data.setdefault("profiles", {})
    return data


def write_config(data: dict[str, Any]) -> Path:
    """Write the config file atomically, 0600 in a 0700 dir (modes re-applied every time)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    os.chmod(path, 0o600)
    return path


def check_base_url(url: str, what: str) -> str:
    """Refuse malformed URLs and plain http:// to anything but loopback."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{what} {url!r} is not an http(s) URL", hint="Give it as https://host[:port]."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UsageError(
            f"{what} {url!r} uses plain http:// to a non-loopback host",
            hint="Use https://, or http:// only for localhost/127.0.0.1.",
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
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
    generation_url: str | None = None
    modellix_url: str = DEFAULT_MODELLIX_URL
    modellix_schema_url: str = DEFAULT_MODELLIX_SCHEMA_URL
    key_source: dict[str, str] = field(default_factory=dict)

    def key_for(self, provider: str) -> Secret | None:
        return self.modellix_api_key if provider == MODELLIX.name else self.api_key

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
            if profile and profile not in profiles and path.exists():
                raise UsageError(
                    f"no profile named {profile!r} in {path}",
                    hint="List them with `vtrix auth status`, "
                    "or create it with `vtrix auth login --profile NAME`.",
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

        key, src = pick(api_key, ("VTRIX_API_KEY",), "api_key")
        if key:
            s.api_key, s.key_source["vtrix"] = Secret(key), src
        mkey, msrc = pick(api_key, ("MODELLIX_API_KEY",), "modellix_api_key")
        if not mkey:
            mkey, msrc = key, src
        if mkey:
            s.modellix_api_key, s.key_source["modellix"] = Secret(mkey), msrc

        vbase, _ = pick(base_url, ("VTRIX_BASE_URL",), "base_url")
        models, _ = pick(base_url, ("VTRIX_MODELS_URL",), "models_url")
        gen, _ = pick(base_url, ("VTRIX_GENERATION_URL",), "generation_url")
        mbase, _ = pick(base_url, ("MODELLIX_BASE_URL",), "modellix_base_url")
        if models or vbase:
            s.models_url = check_base_url(models or vbase, "the vtrix models URL")
        if gen or vbase:
            s.generation_url = check_base_url(gen or vbase, "the vtrix generation URL")
        if mbase:
            s.modellix_url = check_base_url(mbase, "the Modellix base URL")
            s.modellix_schema_url = s.modellix_url
        schema = env.get("MODELLIX_SCHEMA_URL")
        if schema:
            s.modellix_schema_url = check_base_url(schema, "the Modellix schema URL")
        return s
