"""What :class:`vtrix.Client` and :class:`vtrix.AsyncClient` share (siblings over this one
base, as httpx's are): how a client is made from keys, a profile, URLs, or a session of
its own, and the session's parts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.engine.session import Session

if TYPE_CHECKING:
    from decimal import Decimal

    from vtrix.http import Transport
    from vtrix.store.config import Settings
    from vtrix.store.ledger import Ledger
    from vtrix.wire.base import Provider


class ClientBase:
    """Keys and URLs resolve as the CLI's do (:mod:`vtrix.store.config`); ``ledger=False``
    runs without one; ``session`` shares another client's.

    Caps, each held in the ledger (:mod:`vtrix.engine.money`): ``max_spend`` caps what this
    client's submits may cost together — this process's, across its threads and tasks, not
    other processes' (an unknown price is refused); ``budget_name`` charges every submit to
    a named budget (``vtrix budget set NAME AMOUNT``), shared by every process and, on a
    shared ledger, by the team."""

    def __init__(
        self,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        *,
        proxy: str | None = None,
        settings: Settings | None = None,
        ledger: Ledger | bool = True,
        transport: Transport | None = None,
        session: Session | None = None,
        max_spend: float | str | Decimal | None = None,
        budget_name: str | None = None,
    ) -> None:
        self.session = session or Session.create(
            api_key=api_key,
            profile=profile,
            base_url=base_url,
            proxy=proxy,
            settings=settings,
            ledger=ledger,
            transport=transport,
        )
        if max_spend is not None or budget_name is not None:
            from vtrix.engine import money

            caps = list(self.session.accounts)
            if max_spend is not None:
                caps.append(money.process_account(money.amount_of(max_spend, "max_spend")))
            if budget_name is not None:
                caps.append(money.budget_account(budget_name))
            self.session.accounts = tuple(caps)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(profile={self.settings.profile!r})"

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def ledger(self) -> Ledger | None:
        return self.session.ledger

    def provider(self, name: str) -> Provider:
        """The adapter of gateway ``name``."""
        return self.session.provider(name)
