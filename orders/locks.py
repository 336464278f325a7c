"""Row locks on orders. Every write to an order takes its lock first, inside the transaction
that makes the change; several orders are locked in primary-key order so two writers never
wait on each other in a circle."""

from collections.abc import Iterable

from .models import Order


def order_lock(pk) -> Order:
    return Order.objects.select_for_update().get(pk=pk)


def orders_lock(pks: Iterable) -> list[Order]:
    return list(Order.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk"))
