"""Row locks on orders. Every write to an order takes its lock first, inside the transaction
that makes the change; rows that belong to the order (its calls, links, lines) are locked after
it, so two writers never wait on each other in a circle."""

from dataclasses import dataclass

from backoffice.errors import NotFound

from .models import Order


@dataclass(frozen=True)
class OrderRef:
    """An order as a request names it (its account and order id), not yet read: a write given
    one finds the order and locks it in one statement."""

    account_id: int
    order_id: str


def order_lock(key) -> Order:
    """The order with primary key `key`, read under its row lock; or the order an `OrderRef`
    names, where one that its account lacks is a 404."""
    if not isinstance(key, OrderRef):
        return Order.objects.select_for_update().get(pk=key)
    named = Order.objects.filter(account_id=key.account_id, order_id=key.order_id)
    locked = named.select_for_update().first()
    if locked is None:
        raise NotFound(f"there is no order {key.order_id}")
    return locked
