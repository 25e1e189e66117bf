"""Which proxy a request goes through, and which certificate authorities vouch for the far end.

vtrix turns requests' reading of the environment off (no ``.netrc`` credential, no proxy may
steer a key), and reads here only what it means to honour, as curl and requests do:

* proxies: ``--proxy`` / the ``proxy`` config key, else ``HTTPS_PROXY``, ``HTTP_PROXY``,
  ``ALL_PROXY`` (and their lower-case forms), minus ``NO_PROXY``. Loopback is never proxied.
  HTTPS goes through a proxy as a CONNECT tunnel, so the proxy sees only the target's name
  and encrypted bytes — never a key. Credentials in a proxy URL are secrets: shown masked,
  never logged.
* CA bundles: the ``ca_bundle`` config key, else ``REQUESTS_CA_BUNDLE``, else
  ``SSL_CERT_FILE``; else the bundle requests ships. Verification is never turned off.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from vtrix.base.constants import MAX_CA_BUNDLE
from vtrix.base.record import field, record
from vtrix.base.secrets import Secret

PROXY_VARS = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    import ipaddress  # only once a URL is judged (start-up: docs/architecture.md)

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environ_proxies(env: Mapping[str, str]) -> dict[str, str]:
    """``{"https"|"http"|"all"|"no": value}`` from the environment; a lower-case variable
    wins over its upper-case form (as curl reads them)."""
    out: dict[str, str] = {}
    for name in PROXY_VARS:
        value = env.get(name) or env.get(name.upper())
        if value and value.strip():
            out[name.removesuffix("_proxy")] = value.strip()
    return out


def bypass(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` says ``host`` goes direct (``*``, names and their subdomains,
    ``.suffix`` and ``*.suffix``, IP addresses and CIDR ranges)."""
    import ipaddress

    host = host.lower().strip("[]").rstrip(".")
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry = entry.split(":", 1)[0] if entry.count(":") == 1 else entry
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                return True
            continue
        except ValueError:
            pass
        entry = entry.removeprefix("*").lstrip(".").rstrip(".")  # *.test as .test (curl, Go)
        if host == entry or host.endswith("." + entry):
            return True
    return False


def masked_url(url: str) -> str:
    """A proxy URL fit to show: any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None and "@" not in parts.netloc:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{user}:***@{host}" if user else f"***@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _check_bundle(path: str, source: str) -> None:
    """A CA bundle a setting names: a regular file under :data:`MAX_CA_BUNDLE`, checked
    before it is opened (a FIFO would hang every request, a huge file stall each one)."""
    import stat

    from vtrix.errors import UsageError

    where = "ca_bundle in the config" if source == "config" else source
    try:
        st = os.stat(path)
    except OSError as exc:
        why = exc.strerror or "cannot be read"
    else:
        if not stat.S_ISREG(st.st_mode):
            why = "it is not a regular file"
        elif st.st_size > MAX_CA_BUNDLE:
            size, limit = st.st_size // 1024**2, MAX_CA_BUNDLE // 1024**2
            why = f"it is {size} MB, over the {limit} MB a CA bundle can be"
        else:
            return
    raise UsageError(
        f"the CA bundle {where} names cannot be used ({why}); nothing was sent",
        hint=f"Point {where} at a PEM file of certificates, or unset it for the system's.",
    )


@record(frozen=True)
class Network:
    """Proxy and CA settings for every request vtrix makes (gateways, uploads, downloads)."""

    proxy: str | None = None  # --proxy / config: for both schemes
    env: Mapping[str, str] = field(default_factory=dict)  # environ_proxies()
    ca_bundle: str | None = None
    ca_source: str = ""

    def __post_init__(self) -> None:
        for url in (self.proxy, *self.env.values()):
            password = urlsplit(url).password if url and "://" in url else None
            if password:
                Secret(password)  # redacted wherever it might surface

    @classmethod
    def from_settings(
        cls,
        *,
        proxy: str | None,
        ca_bundle: str | None,
        env: Mapping[str, str] | None = None,
    ) -> Network:
        if env is None:
            from vtrix.base.constants import environ

            env = environ()
        source = "config" if ca_bundle else ""
        if not ca_bundle:
            for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
                if env.get(name):
                    ca_bundle, source = env[name], name
                    break
        if ca_bundle:
            _check_bundle(ca_bundle, source)
        return cls(
            proxy=proxy or None, env=environ_proxies(env), ca_bundle=ca_bundle, ca_source=source
        )

    def proxy_for(self, url: str) -> str | None:
        """The proxy ``url`` goes through, or None for a direct connection."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not host or _loopback(host):
            return None
        if bypass(host, self.env.get("no", "")):
            return None
        if self.proxy:
            return self.proxy
        return self.env.get(parts.scheme) or self.env.get("all")

    def proxies_for(self, url: str) -> dict[str, str]:
        """requests' ``proxies=`` for one request (empty: direct)."""
        chosen = self.proxy_for(url)
        scheme = urlsplit(url).scheme
        if not chosen:
            return {}
        if "://" not in chosen:
            chosen = "http://" + chosen
        return {scheme: chosen}

    @property
    def verify(self) -> str | bool:
        """requests' ``verify=``: a bundle path, or True (never False)."""
        return self.ca_bundle or True

    def describe(self, url: str) -> str:
        """How ``url`` is reached, for ``vtrix doctor``: direct or the masked proxy."""
        chosen = self.proxy_for(url)
        return f"via proxy {masked_url(chosen)}" if chosen else "direct"


DIRECT = Network()


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address (where plain http is allowed)."""
    if host == "localhost":
        return True
    import ipaddress  # only once a URL is judged (start-up: docs/architecture.md)

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
