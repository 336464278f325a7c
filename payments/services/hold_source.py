"""The payments app as a source of holds for the orders app (`orders.holds.HoldSource`),
registered when the app starts."""

from django.db import transaction

from backoffice.actor import Actor
from orders.holds import Hold
from orders.models import OperationKind, Order
from payments.holds import payment_holds

from .sessions import links_expire_at_provider, sessions_expire


class PaymentHolds:
    def holds(self, order: Order, kind: OperationKind | None = None) -> list[Hold]:
        return payment_holds(order, kind)

    def order_cancelling(self, order: Order, actor: Actor) -> None:
        """Expire the order's payable links in the cancel's transaction: from its commit on,
        paying one is refused, and the provider is told (after the commit, outside it)."""
        expired = sessions_expire(order=order, actor=actor, why="the order was cancelled")
        if expired:
            transaction.on_commit(lambda: links_expire_at_provider(expired, actor=actor))
