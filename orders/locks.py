"""Row locks on orders. Every write to an order takes its lock first, inside the transaction
that makes the change; rows that belong to the order (its calls, links, lines) are locked after
it, so two writers never wait on each other in a circle."""

from .models import Order


def order_lock(pk) -> Order:
    return Order.objects.select_for_update().get(pk=pk)
