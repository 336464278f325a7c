"""Row locks on orders. Every write to an order takes its lock first, inside the transaction
that makes the change; rows that belong to the order (its calls, links, lines) are locked after
it, so two writers never wait on each other in a circle."""

from dataclasses import dataclass

from django.db import connection
from django.db.transaction import TransactionManagementError

from backoffice.errors import NotFound
from backoffice.rows import columns, key, table

from .models import Order


@dataclass(frozen=True)
class OrderRef:
    """An order as a request names it (its account and order id), not yet read: a write given
    one finds the order and locks it in one statement."""

    account_id: int
    order_id: str


def order_lock(named) -> Order:
    """The order with primary key `named`, read under its row lock; or the order an `OrderRef`
    names, where one that its account lacks is a 404.

    As `Order.objects.select_for_update().get(…)`, by a statement written once
    (`backoffice.rows`): every write makes it."""
    if not connection.in_atomic_block:
        raise TransactionManagementError("an order is locked only inside a transaction")
    order = columns(Order, "o", connection)
    params: list[int | str]
    if isinstance(named, OrderRef):
        where, params = "o.account_id = %s AND o.order_id = %s", [named.account_id, named.order_id]
    else:
        where, params = "o.id = %s", [key(Order, named, connection)]
    sql = f"SELECT {order.select} FROM {table(Order, connection)} o WHERE {where}"
    if connection.features.has_select_for_update:  # SQLite locks the whole database on a write
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        if isinstance(named, OrderRef):
            raise NotFound(f"there is no order {named.order_id}")
        raise Order.DoesNotExist(f"there is no order with primary key {named}")
    return order.instance(row, 0, connection)
