"""A batch's spending cap, ``--budget``: the known cost of its tasks, plus the quotes of
those whose cost is not known yet, plus the next line's quote, stays within it. A line over
it is not sent; the batch stops submitting, waits for what is in flight and exits 4. The
same command with a larger budget resumes: lines already sent count against it and are
never sent again. (``--max-tasks`` refuses a batch that would submit more, before anything
is sent.)"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrix.engine.pricing import amount
from vtrix.errors import BudgetReached

if TYPE_CHECKING:
    from vtrix.engine.pricing import Quote
    from vtrix.store.entry import Entry


class Budget:
    """What a batch has committed, and whether the next line may be sent."""

    def __init__(
        self,
        budget: Decimal | None = None,
        allow_unpriced: bool = False,
    ) -> None:
        self.budget, self.allow_unpriced = budget, allow_unpriced
        self.committed = Decimal(0)  # costs (or quotes) of the batch's tasks
        self.sent = 0  # new submits this run
        self.stopped = ""  # why no more lines are sent

    @property
    def active(self) -> bool:
        return self.budget is not None

    def count_sent(self, rows: Iterable[Entry]) -> None:
        """The batch's lines sent before this run count against the budget."""
        for row in rows:
            if row.task_id:
                self.committed += amount(row.cost) or amount(row.quote) or Decimal(0)

    def reserve(self, quote: Quote, model: str) -> None:
        """Count the next submit, or raise BudgetReached (and stop sending)."""
        if self.stopped:
            raise BudgetReached(self.stopped + "; this line was not sent")
        if self.budget is not None:
            if quote.amount is None and not self.allow_unpriced:
                self._stop(
                    f"the price of {model} is unknown ({quote.basis}), so --budget "
                    f"{self.budget:f} cannot be kept"
                )
            cost = quote.amount or Decimal(0)
            if self.committed + cost > self.budget:
                self._stop(
                    f"--budget {self.budget:f} reached ({self.committed:f} committed; the next "
                    f"line is quoted at {quote.text()})"
                )
            self.committed += cost
        self.sent += 1

    def release(self, quote: Quote) -> None:
        """A submit that created nothing (refused by the gateway) costs nothing."""
        self.committed -= quote.amount or Decimal(0)
        self.sent -= 1

    def _stop(self, why: str) -> None:
        self.stopped = why
        raise BudgetReached(
            why + "; nothing more is sent",
            hint="Run the same command with a larger --budget to go on: "
            "lines already sent are not sent again.",
        )
