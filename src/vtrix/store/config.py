"""Settings: API keys, base URLs and profiles, from flags, environment and the config file.

Precedence for a key: ``--api-key`` (for the gateways that take it) > environment (each
gateway's key variable: ``VTRIX_API_KEY``, ``MODELLIX_API_KEY``, ``FAL_KEY``) > the profile
in the config file. Each gateway gets only its own key; the gateway table says which.

URLs: each setting moves only the host it names. ``VTRIX_GENERATION_URL`` (else
``VTRIX_BASE_URL`` or ``--base-url``) is the vtrix gateway; ``VTRIX_MODELS_URL`` its models
service; ``MODELLIX_BASE_URL`` (or ``--base-url``) the Modellix API; ``MODELLIX_SCHEMA_URL``
its schema host; the other gateways' hosts are declared in the gateway table, each with its
variable (fal's ``FAL_QUEUE_URL``, ``FAL_API_URL``, ``FAL_SCHEMA_URL``). A base URL on
loopback (the sandbox serves every route) moves all of them.

The config file lives in the platform's config dir (``VTRIX_CONFIG_DIR`` overrides), is
written 0600 in a 0700 directory, atomically, under a file lock: any number of processes
may change it at once and none loses another's change. A file that cannot be read is set
aside (renamed, never deleted) with one line on stderr; it never stops a run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vtrix.base.constants import environ
from vtrix.base.dirs import config_path, set_aside
from vtrix.base.gateways import (
    DEFAULT_MODELLIX_SCHEMA_URL,
    DEFAULT_MODELLIX_URL,
    DEFAULT_VTRIX_GENERATION_URL,
    DEFAULT_VTRIX_MODELS_URL,
    GATEWAYS,
)
from vtrix.base.record import field, record
from vtrix.base.secrets import Secret
from vtrix.errors import UsageError
from vtrix.http.network import is_loopback_host

if TYPE_CHECKING:
    from vtrix.http.network import Network

PROFILE_KEYS = (
    *(g.profile_key for g in GATEWAYS.values()),
    "base_url",
    "models_url",
    "generation_url",
    "modellix_base_url",
    "submit_form",
    "proxy",
    "ca_bundle",
)
# The vtrix submit body: the README's {"model", "params"} (the default), or the form the
# official Go client (1.0.1) sends, {"model", "input": [{"params"}]}.
SUBMIT_FORMS = ("params", "input")


def read_config() -> dict[str, Any]:
    """The config file's contents (``{"profiles": {}}`` when absent or set aside)."""
    path = config_path()
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return {"profiles": {}}
    except OSError:
        st = None
    import stat

    if st is not None and not stat.S_ISREG(st.st_mode):  # a FIFO would hang a read
        raise UsageError(
            f"{path} is not a regular file (a directory, FIFO or device is in its place); "
            "nothing was sent",
            hint="Move it out of the way, or point VTRIX_CONFIG_DIR elsewhere.",
        )
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

    from vtrix.base.atomic import write_text_atomic
    from vtrix.base.dirs import private_dir

    path = config_path()
    private_dir(path.parent)
    with FileLock(str(path) + ".lock", timeout=30, mode=0o600):
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


def check_proxy_url(url: str) -> str:
    """A proxy URL vtrix can use: http(s)://[user:password@]host:port."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        from vtrix.http.network import masked_url

        raise UsageError(
            f"the proxy {masked_url(url)!r} is not an http(s) URL",
            hint="Give it as http://host:port (an https tunnel goes through it either way).",
        )
    return parts.geturl()


def _on_loopback(url: str) -> bool:
    return is_loopback_host(urlsplit(url).hostname or "")


@record
class Settings:
    """Everything a client needs to know about where to go and with which key."""

    profile: str = "default"
    keys: dict[str, Secret] = field(default_factory=dict, repr=False)  # by gateway
    models_url: str = DEFAULT_VTRIX_MODELS_URL
    generation_url: str = DEFAULT_VTRIX_GENERATION_URL
    modellix_url: str = DEFAULT_MODELLIX_URL
    modellix_schema_url: str = DEFAULT_MODELLIX_SCHEMA_URL
    urls: dict[str, str] = field(default_factory=dict)  # "<gateway>.<host>": the table's hosts
    key_source: dict[str, str] = field(default_factory=dict)
    explicit_urls: frozenset[str] = frozenset()  # which of the URLs the user set
    submit_form: str = "params"  # see SUBMIT_FORMS
    proxy: str | None = None  # --proxy / profile "proxy": every non-loopback request
    ca_bundle: str | None = None  # profile "ca_bundle" (else REQUESTS_CA_BUNDLE, SSL_CERT_FILE)
    env: dict[str, str] = field(default_factory=dict, repr=False)  # for the proxy variables

    def network(self) -> Network:
        """Proxies and CA bundle for every request (see :mod:`vtrix.http.network`)."""
        from vtrix.http.network import Network

        return Network.from_settings(proxy=self.proxy, ca_bundle=self.ca_bundle, env=self.env)

    def key_for(self, provider: str) -> Secret | None:
        """The key of ``provider`` (each gateway its own; None for one vtrix does not know)."""
        return self.keys.get(provider)

    def url(self, provider: str, host: str) -> str:
        """One of a gateway's hosts as the table declares them (its variable, a loopback
        base URL, else its default)."""
        found = self.urls.get(f"{provider}.{host}")
        if found is None:
            return next(u.default for u in GATEWAYS[provider].urls if u.name == host)
        return found

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        proxy: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Settings:
        """Resolve settings from flags, environment and the config file."""
        env = environ() if env is None else env
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
            # Every key vtrix knows is redacted wherever it could surface (a gateway may echo
            # one back), not only the one in use.
            for other in profiles.values():
                for field_name in (g.profile_key for g in GATEWAYS.values()):
                    if isinstance(other.get(field_name), str):
                        Secret(other[field_name])
        for variable in (g.key_env for g in GATEWAYS.values()):
            if env.get(variable):
                Secret(env[variable])
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

        # Each gateway gets its own key only: a vtrix key is never shown to Modellix (nor
        # the other way round); only an explicit --api-key goes to whichever is asked, of
        # the gateways that take it (``flag_key`` in the table).
        for g in GATEWAYS.values():
            key, src = pick(api_key if g.flag_key else None, (g.key_env,), g.profile_key)
            if key:
                s.keys[g.name], s.key_source[g.name] = Secret(key), src
        s.explicit_urls = frozenset(_resolve_urls(s, pick, base_url, env))
        s.env = {k: v for k, v in env.items() if k.lower().endswith("_proxy") or "CA_BUNDLE" in k}
        s.env.update({k: v for k, v in env.items() if k == "SSL_CERT_FILE"})
        chosen_proxy = proxy or str(stored.get("proxy") or "")
        if chosen_proxy:
            s.proxy = check_proxy_url(chosen_proxy)
        if stored.get("ca_bundle"):
            s.ca_bundle = str(stored["ca_bundle"])
        form, form_src = pick(None, ("VTRIX_SUBMIT_FORM",), "submit_form")
        if form:
            if form not in SUBMIT_FORMS:
                raise UsageError(
                    f"{form_src}: submit form {form!r} is not one of {', '.join(SUBMIT_FORMS)}",
                    hint="params: {model, params} (the default); input: {model, input: "
                    "[{params}]} as the official vtrix client 1.0.1 sends.",
                )
            s.submit_form = form
        return s


Pick = Callable[[str | None, tuple[str, ...], str], tuple[str, str]]


def _resolve_urls(s: Settings, pick: Pick, base_url: str | None, env: dict[str, str]) -> set[str]:
    """Set ``s``'s URLs; which of them the user set."""
    # Each URL setting moves the host it names. A base on loopback (a sandbox, which
    # serves every route) also moves the models and schema hosts, which the real
    # gateways keep elsewhere.
    vbase, _ = pick(base_url, ("VTRIX_BASE_URL",), "base_url")
    models, _ = pick(None, ("VTRIX_MODELS_URL",), "models_url")
    if base_url and _on_loopback(base_url):
        models = base_url
    gen, _ = pick(base_url, ("VTRIX_GENERATION_URL",), "generation_url")
    mbase, _ = pick(base_url, ("MODELLIX_BASE_URL",), "modellix_base_url")
    explicit: set[str] = set()
    if gen or vbase:
        s.generation_url = check_base_url(gen or vbase, "the vtrix generation URL")
        explicit.add("generation")
    if models or (vbase and _on_loopback(check_base_url(vbase, "the vtrix base URL"))):
        s.models_url = check_base_url(models or vbase, "the vtrix models URL")
        explicit.add("models")
    if mbase:
        s.modellix_url = check_base_url(mbase, "the Modellix base URL")
        explicit.add("modellix")
        if _on_loopback(s.modellix_url):
            s.modellix_schema_url = s.modellix_url
            explicit.add("modellix_schema")
    schema = env.get("MODELLIX_SCHEMA_URL")
    if schema:
        s.modellix_schema_url = check_base_url(schema, "the Modellix schema URL")
        explicit.add("modellix_schema")
    explicit |= _table_urls(s, base_url or vbase or mbase, env)
    return explicit


def _table_urls(s: Settings, base: str, env: dict[str, str]) -> set[str]:
    """The hosts the gateway table declares: each variable moves its own; a loopback base
    URL (a sandbox, which speaks every gateway) moves them all."""
    explicit: set[str] = set()
    on_loopback = bool(base) and _on_loopback(base)
    for g in GATEWAYS.values():
        for u in g.urls:
            url = env.get(u.variable) or (base if on_loopback else "")
            if url:
                s.urls[f"{g.name}.{u.name}"] = check_base_url(url, f"the {u.label}")
                explicit.add(f"{g.name}.{u.name}")
    return explicit
