"""``vtrix doctor`` as an options value and a run function (see :mod:`vtrix.cli.run_model`):
what vtrix would use and whether it works, per gateway — key (masked, and where it came from),
URL, proxy and CA bundle, reachable, key accepted, balance — and the ledger's health.
Read-only: it never submits anything."""

from __future__ import annotations

import platform
import time
from typing import TYPE_CHECKING, Any

from vtrix.base.text import count

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client


def _probe(client: Any, provider: str, offline: bool = False) -> dict[str, Any]:
    """One gateway's facts; every request a cheap read (no key crosses gateways); none
    when ``offline``."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.errors import VtrixError

    s = client.settings
    g = GATEWAYS[provider]
    key = s.key_for(provider)
    url = client.provider(provider).gateway_base()[0]
    network = s.network()
    out: dict[str, Any] = {
        "gateway": g.label,
        "url": url,
        "key": key.masked() if key else None,
        "key_source": s.key_source.get(provider) if key else f"not set ({g.key_env})",
        "route": network.describe(url),
        "ca_bundle": network.ca_bundle and f"{network.ca_bundle} ({network.ca_source})",
        "reachable": None,
        "key_accepted": None,
        "balance": None,
        "problem": None,
    }
    if provider == "vtrix":
        out["models_url"] = s.models_url
        out["models_route"] = network.describe(s.models_url)
    if offline:
        return out
    prov = client.provider(provider)
    prov.http.read_attempts, prov.http.read_budget = 1, 5.0  # it reports; it never waits
    start = time.monotonic()
    try:
        if g.catalog_needs_key and key is None:
            out["problem"] = f"no key: set {g.key_env} (its catalog needs one)"
            return out
        accepted = prov.check_key() if key is not None else None  # no key: nothing to check
        if accepted is None:  # no route to ask: one look at its public catalog
            prov.ping()
        out["reachable"], out["key_accepted"] = True, accepted
        if accepted is False:
            out["problem"] = f"the gateway refuses this key: set {g.key_env} to a valid one"
        balance = prov.balance()
        out["balance"] = "not available from this gateway" if balance is None else balance
        if balance is not None and _spent(balance):
            out["problem"] = "the balance is spent: every paid submit will be refused (402)"
    except VtrixError as exc:
        from vtrix.errors import AuthError, TemporaryFailure

        if isinstance(exc, AuthError):
            out["reachable"], out["key_accepted"] = True, False
        elif isinstance(exc, TemporaryFailure):
            out["reachable"] = False  # the network said no (DNS, refused, TLS, 5xx)
        out["problem"] = exc.message
    out["seconds"] = round(time.monotonic() - start, 3)
    return out


def _spent(balance: Any) -> bool:
    """A balance a gateway states as 0 or less."""
    from vtrix.base.amounts import amount

    if isinstance(balance, (int, float)) and not isinstance(balance, bool):
        return balance <= 0
    stated = amount(balance)
    return stated is not None and stated == 0


def _ledger(client: Client) -> dict[str, Any]:
    from vtrix.store.ledger import Ledger

    ledger = client.ledger if client.ledger is not None else Ledger()
    counts = ledger.status()
    healthy = not ledger.disabled
    return {
        "path": ledger.where,  # a file, or a PostgreSQL URL without its password
        "backend": ledger.kind,
        "usable": healthy,
        "tasks": counts["tasks"] if counts is not None else None,
    }


def run_doctor(offline: bool, output: str, client: Client, io: IO) -> int:
    """Check keys, URLs, proxies, CA bundle, reachability (unless ``offline``) and the
    ledger; print the report. 1 when something is to mend (the report says what), else 0."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from vtrix import __version__
    from vtrix.base.gateways import PROVIDERS
    from vtrix.cli.output import to_json

    io.output = output
    for p in PROVIDERS:
        client.provider(p)  # made here, not by two threads at once
    with ThreadPoolExecutor(len(PROVIDERS)) as pool:  # the gateways asked side by side
        probes = pool.map(lambda p: _probe(client, p, offline), PROVIDERS)
        gateways = dict(zip(PROVIDERS, probes, strict=True))
    ledger = _ledger(client)
    report: dict[str, Any] = {
        "versions": {
            "vtrix": __version__,
            "python": platform.python_version(),
            "requests": requests.__version__,
        },
        "gateways": gateways,
        "ledger": ledger,
    }
    io.emit(to_json(report) if output == "json" else _human(report))
    bad = [g for g in gateways.values() if g["problem"] and g["key"]]
    return 1 if bad or not ledger["usable"] else 0


def _human(report: dict[str, Any]) -> str:
    v = report["versions"]
    lines = [f"vtrix {v['vtrix']} (Python {v['python']}, requests {v['requests']})", ""]
    for g in report["gateways"].values():
        lines.append(f"{g['gateway']}:")
        lines.append(f"  key:        {g['key'] or '-'} ({g['key_source']})")
        lines.append(f"  URL:        {g['url']} ({g['route']})")
        if "models_url" in g:
            lines.append(f"  models URL: {g['models_url']} ({g['models_route']})")
        lines.append(f"  CA bundle:  {g['ca_bundle'] or 'the default (certifi)'}")
        reach = {True: "yes", False: "no", None: "not checked"}[g["reachable"]]
        lines.append(f"  reachable:  {reach}")
        if g["key_accepted"] is not None:
            lines.append(f"  key:        {'accepted' if g['key_accepted'] else 'refused'}")
        if g["balance"] is not None:
            lines.append(f"  balance:    {g['balance']}")
        if g["problem"]:
            lines.append(f"  problem:    {g['problem']}")
        lines.append("")
    led = report["ledger"]
    state = "ok" if led["usable"] else "cannot be used"
    tasks = count(led["tasks"], "task") if led["tasks"] is not None else "its tasks not counted"
    lines.append(f"ledger: {led['path']} ({state}; {tasks})")
    return "\n".join(lines)
