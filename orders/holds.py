"""Holds: money that something still under way may take from an order's lines.

A provider call whose outcome is not known yet (pending, sending, or unknown after a
timeout) may already have captured, refunded or cancelled at the provider; a payment link the
customer can still pay may yet authorize. Until they settle, their amounts count as taken for
every operation that draws on the same remaining amount, however it arrives: recorded through
the API or a staff form, asked of the provider, or a whole-order cancel.

`orders` does not know the payments app: it defines what a hold is and asks the sources
registered here (the payments app registers one when it starts) for an order's holds, under
the order's row lock. The sources write their own rows under the same lock, so a hold cannot
appear between the check and the write.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from backoffice.actor import Actor

from .models import OperationKind, Order

# What a recorded kind draws on. Captures and cancellations share the uncaptured authorized
# amount (authorized - captured - cancelled); refunds draw on the refundable amount; an
# authorization on what is left to authorize.
DRAWS_ON = {
    OperationKind.AUTHORIZATION: "to_authorize",
    OperationKind.CAPTURE: "to_capture",
    OperationKind.CANCELLATION: "to_capture",
    OperationKind.REFUND: "refundable",
}


@dataclass(frozen=True)
class Hold:
    """`amount` on line `line_id` that a call or link (`ref`) may yet take as `kind`."""

    ref: str
    kind: OperationKind
    line_id: int
    amount: int
    # For people: "capture call 3f2a9c1e at the sandbox (outcome unknown)", said in the language
    # active where it is read (a lazy string).
    what: str | Promise
    payment_id: str = ""

    def collides_with(self, kind: OperationKind) -> bool:
        return DRAWS_ON[self.kind] == DRAWS_ON[kind]


class HoldSource(Protocol):
    def holds(self, order: Order, kind: OperationKind | None = None) -> list[Hold]:
        """The order's holds (those that collide with `kind`, if given; a source may return
        more), read under its row lock."""
        ...

    def order_cancelling(self, order: Order, actor: Actor) -> None:
        """The order is being cancelled (inside the cancel's transaction, under its lock):
        stop whatever could still take money from it, such as payment links."""
        ...


_sources: list[HoldSource] = []


def hold_source_register(source: HoldSource) -> None:
    if not any(type(s) is type(source) for s in _sources):
        _sources.append(source)


def order_holds(
    order: Order, kind: OperationKind | None = None, *, exclude: Iterable[str] = ()
) -> list[Hold]:
    """The holds on the order (those colliding with `kind`, if given), except those of the
    calls or links named in `exclude`: the one being settled does not hold against itself."""
    skip = set(exclude)
    return [
        hold
        for source in _sources
        for hold in source.holds(order, kind)
        if hold.ref not in skip and (kind is None or hold.collides_with(kind))
    ]


def order_cancelling(order: Order, actor: Actor) -> None:
    for source in _sources:
        source.order_cancelling(order, actor)


def held_by_line(holds: Iterable[Hold], kind: OperationKind) -> dict[int, int]:
    """Per line id: what the holds colliding with `kind` take."""
    by_line: dict[int, int] = defaultdict(int)
    for hold in holds:
        if hold.collides_with(kind):
            by_line[hold.line_id] += hold.amount
    return dict(by_line)


def holds_described(
    holds: Iterable[Hold], kind: OperationKind, line_id: int | None = None, show: Callable[[int], str] = str
) -> str:
    """ "capture call 3f2a9c1e at the sandbox (outcome unknown) holds 39800", for each hold
    colliding with `kind` (on `line_id`, if given): the API's words; with `show` formatting the
    amounts as money, what staff read, in the page's language."""
    if show is str:
        with translation.override("en"):
            return _holds_described(holds, kind, line_id, show)
    return _holds_described(holds, kind, line_id, show)


def _holds_described(
    holds: Iterable[Hold], kind: OperationKind, line_id: int | None, show: Callable[[int], str]
) -> str:
    return "; ".join(
        _("%(what)s holds %(amount)s") % {"what": hold.what, "amount": show(hold.amount)}
        for hold in holds
        if hold.collides_with(kind) and (line_id is None or hold.line_id == line_id)
    )
