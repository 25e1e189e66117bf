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
    runs without one; ``session`` shares another client's; ``max_spend`` caps what its
    submits may cost together (by their quotes; see :mod:`vtrix.engine.pricing`)."""

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
        if max_spend is not None:  # every submit's quote counts; an unknown one is refused
            from decimal import Decimal

            self.session.max_spend = Decimal(str(max_spend))

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
