"""``vtrix sandbox``: start the local gateway (needs the ``sandbox`` extra)."""

from __future__ import annotations

from typing import Any

import click

from vtrix.cli.click_types import Word
from vtrix.sandbox.state import MODES

# Each protocol mode (its values in MODES, the first the default) as an option: what it plays.
MODE_HELP = {
    "submit_form": "vtrix submit bodies accepted: {model, params}, {model, input: [{params}]}.",
    "progress_scale": "vtrix task progress as 0-100, a 0-1 fraction, or absent.",
    "modellix_async": "Modellix submit routes: with and without /async, new (none), old only.",
    "result_items": "Modellix result items: objects, URL strings, {url} objects, data.resources.",
    "status_words": "Status words: the documented ones, other known ones, an unknown running word.",
    "spec_dialect": "vtrix specs strict, or as loose as the official client's types allow.",
}


def mode_options(f: Any) -> Any:
    for name in reversed(MODES):
        f = click.option(
            "--" + name.replace("_", "-"),
            name,
            type=Word(tuple(MODES[name]), "mode"),
            default=MODES[name][0],
            show_default=True,
            help=MODE_HELP[name],
        )(f)
    return f


def gateway_key_options(f: Any) -> Any:
    """``--<gateway>-key`` for every gateway of the table: the keys its routes accept."""
    from vtrix.base.gateways import GATEWAYS

    for g in reversed(GATEWAYS.values()):
        f = click.option(
            f"--{g.name}-key",
            f"{g.name}_key",
            multiple=True,
            metavar="KEY",
            help=f"Keys the {g.label} routes accept (repeatable).",
        )(f)
    return f


@click.command(context_settings={"max_content_width": 100})
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--specs",
    "specs_dir",
    metavar="DIR",
    help="Spec snapshot to serve (default: the one this vtrix was built from).",
)
@click.option(
    "--task-seconds",
    type=float,
    default=3.0,
    show_default=True,
    help="How long a task runs in simulated time.",
)
@click.option(
    "--api-key",
    "keys",
    multiple=True,
    metavar="KEY",
    help="Accept only these keys (repeatable; default: any key).",
)
@gateway_key_options
@click.option("--broke-key", multiple=True, metavar="KEY", help="Answer 402 for this key.")
@click.option(
    "--balance",
    metavar="AMOUNT",
    help="Each key's balance: submits spend it at the sandbox's prices; 402 once spent.",
)
@click.option(
    "--rate-limit",
    type=int,
    default=0,
    metavar="N",
    help="Requests per minute per key before 429 (0: no limit).",
)
@click.option("--fail-rate", type=float, default=0.0, help="Share of requests answered 500.")
@click.option("--unavailable-rate", type=float, default=0.0, help="Share of requests answered 503.")
@click.option("--drop-rate", type=float, default=0.0, help="Share of connections dropped.")
@click.option(
    "--slow", type=float, default=0.0, metavar="SECONDS", help="Delay every answer by SECONDS."
)
@click.option("--submit-500", is_flag=True, help="Create the task but answer the submit with 500.")
@click.option("--submit-429", is_flag=True, help="Create the task but answer the submit with 429.")
@click.option(
    "--honour-idempotency",
    is_flag=True,
    help="Answer a repeated Idempotency-Key with its first task (neither real gateway "
    "promises to; off by default).",
)
@click.option(
    "--visible-after",
    type=float,
    default=0.0,
    metavar="SECONDS",
    help="A new task answers 404 this long (a task store that lags).",
)
@mode_options
@click.option(
    "--committed-endpoints",
    is_flag=True,
    help="Serve the vtrix specs' endpoints as committed (the real gateway's hosts), for a "
    "byte-for-byte round trip of `make specs`; a client that follows them leaves the "
    "sandbox. Default: they name this sandbox.",
)
@click.option("--rewrite-endpoints", is_flag=True, hidden=True, help="The default now.")
@click.option(
    "--spec-drift",
    is_flag=True,
    help="Serve kirin_v3_i2v's live spec with other fields than the bundled one.",
)
@click.option("--seed", type=int, default=0, help="Seed for injected faults.")
@click.option(
    "--url-ttl",
    type=float,
    default=24 * 3600,
    show_default=True,
    metavar="SECONDS",
    help="How long result URLs stay valid.",
)
def sandbox(
    host: str,
    port: int,
    specs_dir: str | None,
    task_seconds: float,
    keys: tuple[str, ...],
    broke_key: tuple[str, ...],
    balance: str | None,
    rate_limit: int,
    fail_rate: float,
    unavailable_rate: float,
    drop_rate: float,
    slow: float,
    submit_500: bool,
    submit_429: bool,
    honour_idempotency: bool,
    visible_after: float,
    spec_drift: bool,
    committed_endpoints: bool,
    rewrite_endpoints: bool,  # accepted for old scripts: it is the default now
    seed: int,
    url_ttl: float,
    **modes: Any,  # one per MODES entry (a choice among its values); one key list per gateway
) -> None:
    """Start a local gateway that speaks the vtrix, Modellix, fal, Replicate and WaveSpeed
    protocols.

    The first line on stdout is its base URL; point vtrix at it with
    VTRIX_BASE_URL and MODELLIX_BASE_URL (or --base-url). Ctrl-C stops it.
    """
    try:
        from vtrix.sandbox.server import serve
    except ImportError as exc:
        from vtrix.errors import UsageError

        raise UsageError(
            f"the sandbox needs its extra: {exc.name} is not installed",
            hint="pip install 'vtrix[sandbox]'",
        ) from None
    from vtrix.base.gateways import GATEWAYS
    from vtrix.sandbox.state import Faults, SandboxConfig

    keys_by_gateway = {name: set(modes.pop(f"{name}_key")) for name in GATEWAYS}

    _check_control(host, bool(keys))
    serve(
        SandboxConfig(
            host=host,
            port=port,
            specs_dir=specs_dir,
            task_seconds=task_seconds,
            accepted_keys=set(keys),
            gateway_keys=keys_by_gateway,
            broke_keys=set(broke_key),
            balance=balance,
            rate_limit=rate_limit,
            url_ttl=url_ttl,
            committed_endpoints=committed_endpoints,
            faults=Faults(
                error_rate=fail_rate,
                unavailable_rate=unavailable_rate,
                drop_rate=drop_rate,
                slow=slow,
                submit_500=submit_500,
                submit_429=submit_429,
                honour_idempotency=honour_idempotency,
                visible_after=visible_after,
                spec_drift=spec_drift,
                **modes,
                seed=seed,
            ),
        )
    )


def _check_control(host: str, keyed: bool) -> None:
    """Without --api-key its control routes (reset, faults) answer anyone: said at start, and
    refused on a host other machines reach."""
    import sys

    from vtrix.errors import UsageError
    from vtrix.http.network import is_loopback_host

    if keyed:
        return
    if not is_loopback_host(host):
        raise UsageError(
            f"a sandbox on {host} without --api-key would let anyone who reaches it reset it "
            "or inject faults; it was not started",
            hint="Give it a key with --api-key, or serve on 127.0.0.1.",
        )
    print(
        "! no --api-key: any local process may use this sandbox, reset it or inject faults "
        "(/__sandbox/*)",
        file=sys.stderr,
    )
