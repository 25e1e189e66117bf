"""The session: what every front end stands on — resolved settings, the transport, the
ledger and one adapter per gateway. :class:`vtrix.Client` and :class:`vtrix.AsyncClient`
each hold one (siblings; neither wraps the other); the plans of :mod:`vtrix.engine.plans`
take it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING

from vtrix.store.config import Settings
from vtrix.store.ledger import Ledger
from vtrix.wire.adapters import make_provider

if TYPE_CHECKING:
    from vtrix.http import Http, Transport
    from vtrix.store.accounts import Account
    from vtrix.wire.base import Provider, TaskState


class Session:
    """Settings, transport, ledger and adapters, made once and shared by a client's calls."""

    def __init__(
        self,
        settings: Settings,
        *,
        ledger: Ledger | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.transport = transport
        self._providers: dict[str, Provider] = {}
        self._brief = False  # inside lookups(): reads are asked briefly
        # The accounts every submit of this session is charged to (a named budget, a
        # max_spend): held in the ledger (see vtrix.engine.money).
        self.accounts: tuple[Account, ...] = ()
        self.warned: set[str] = set()  # models whose stale built-in spec was said already

    @classmethod
    def create(
        cls,
        *,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        proxy: str | None = None,
        settings: Settings | None = None,
        ledger: Ledger | bool = True,
        transport: Transport | None = None,
    ) -> Session:
        """A session as the CLI makes one: keys and URLs from flags, environment, profile
        (see :mod:`vtrix.store.config`); the default ledger unless ``ledger`` says."""
        resolved = settings or Settings.resolve(
            api_key=api_key, profile=profile, base_url=base_url, proxy=proxy
        )
        book: Ledger | None = Ledger() if ledger is True else (ledger or None)
        return cls(resolved, ledger=book, transport=transport)

    def __repr__(self) -> str:
        return f"Session(profile={self.settings.profile!r})"

    def provider(self, name: str) -> Provider:
        """The adapter of gateway ``name`` (made on first use; its HTTP client when it first
        sends). With a ledger, its requests pass the key's shared gate
        (:mod:`vtrix.store.limits`)."""
        if name not in self._providers:
            made = partial(self._made_http, name)
            self._providers[name] = make_provider(name, self.settings, self.transport, made)
        return self._providers[name]

    @contextmanager
    def lookups(self) -> Iterator[None]:
        """Reads within are lookups with a local fallback (a catalog, a spec, a model id):
        each is asked LOOKUP_ATTEMPTS times within LOOKUP_BUDGET, not for a poll's budget."""
        from vtrix.base.constants import LOOKUP_ATTEMPTS, LOOKUP_BUDGET, READ_ATTEMPTS, READ_BUDGET

        self._brief = True
        try:
            for p in self._providers.values():
                p.http.read_attempts, p.http.read_budget = LOOKUP_ATTEMPTS, LOOKUP_BUDGET
            yield
        finally:
            self._brief = False
            for p in self._providers.values():
                p.http.read_attempts, p.http.read_budget = READ_ATTEMPTS, READ_BUDGET

    def _made_http(self, provider: str, http: Http) -> None:
        """Set up a gateway's HTTP client as it is made: brief reads, the shared gate."""
        if self._brief:
            from vtrix.base.constants import LOOKUP_ATTEMPTS, LOOKUP_BUDGET

            http.read_attempts, http.read_budget = LOOKUP_ATTEMPTS, LOOKUP_BUDGET
        key = self.key_id(provider)
        if self.ledger is not None and key is not None:
            from vtrix.store.limits import SharedLimits

            http.gate = SharedLimits(self.ledger, key, self.limits(provider)[0])

    def key_id(self, provider: str) -> str | None:
        """The digest the ledger knows this session's key for ``provider`` by (None: no key)."""
        secret = self.settings.key_for(provider)
        if secret is None or not secret.reveal():
            return None
        from vtrix.store.limits import key_id

        return key_id(provider, secret.reveal())

    def limits(self, provider: str) -> tuple[int | None, int | None]:
        """(requests a minute, tasks running at once) allowed per key of ``provider``: the
        gateway's published limits, or ``VTRIX_RATE_LIMIT`` / ``VTRIX_MAX_RUNNING`` (0: no
        limit). None: no limit."""
        from vtrix.base.gateways import GATEWAYS

        gateway = GATEWAYS[provider]
        return (
            _limit("VTRIX_RATE_LIMIT", gateway.rate_per_minute),
            _limit("VTRIX_MAX_RUNNING", gateway.max_running),
        )

    def http(self, provider: str | None = None) -> Http:
        """The Http a plan runs on (any will do for a lookup: requests carry their headers)."""
        from vtrix.base.gateways import PROVIDERS

        return self.provider(provider or PROVIDERS[0]).http

    def record(self, state: TaskState, endpoint: str = "") -> None:
        """Keep what a poll saw in the ledger (never fails the caller)."""
        if self.ledger is not None:
            seen = {name: getattr(state, name) for name in _OBSERVED}
            self.ledger.observe(task_id=state.id, endpoint=endpoint, final=state.done, **seen)


# What of a task's state the ledger keeps, by the name both give it.
_OBSERVED = (
    "provider",
    "model",
    "status",
    "remote_status",
    "urls",
    "error",
    "cost",
    "finished_at",
    "ran_until",
    "expires_at",
    "raw",
    "created_at",
)


def _limit(name: str, default: int | None) -> int | None:
    from vtrix.base.constants import env
    from vtrix.errors import UsageError

    text = env(name)
    if not text:
        return default
    if not text.isdigit():
        raise UsageError(
            f"{name}={text!r} is not a whole number; nothing was sent",
            hint=f"Set {name} to a number (0: no limit), or unset it for the gateway's own.",
        )
    return int(text) or None
