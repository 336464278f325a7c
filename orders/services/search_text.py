"""What the order search looks in, kept on the order (`Order.search_text`): the order id, the
customer's e-mail, names and phone, the lines' SKUs and descriptions and the payment ids, one
value per line, in upper case. The services that write any of them keep it, so that a search
tests one column of each order and one trigram index serves it (orders.selectors.order_search).

Upper case, because a search ignores case: the searched words are upper-cased once, and each
order's text is tested as it is stored. Upper-casing it in each test (`UPPER(search_text)`) cost
half of a common word's search: at a million orders, 15 ms of the 22 that reading 10,000 orders
in the list's order takes to find a page (migration 0020)."""

from orders.models import Order, OrderLine, PaymentOperation

SEPARATOR = "\n"  # search words are split on white space: no word spans two values
CUSTOMER_SEARCHED = ("email", "first_name", "last_name", "phone_number")


# The same, made by PostgreSQL for many orders at once (`where` picks them, on `o`): the
# migration that made the column and the benchmark's seeder fill it so.
FILL_SQL = r"""
UPDATE orders_order o SET search_text = upper(concat_ws(E'\n',
    NULLIF(o.order_id, ''),
    NULLIF(o.customer ->> 'email', ''),
    NULLIF(o.customer ->> 'first_name', ''),
    NULLIF(o.customer ->> 'last_name', ''),
    NULLIF(o.customer ->> 'phone_number', ''),
    (SELECT string_agg(DISTINCT v, E'\n') FROM orders_orderline l,
            LATERAL (VALUES (l.item_id), (l.description)) AS x(v)
      WHERE l.order_id = o.id AND v <> ''),
    (SELECT string_agg(DISTINCT p.payment_id, E'\n') FROM orders_paymentoperation p
      WHERE p.order_id = o.id AND p.payment_id <> '')))
WHERE {where}
"""


def _own_values(order) -> list[str]:
    return [order.order_id, *(str(order.customer.get(name) or "") for name in CUSTOMER_SEARCHED)]


def _joined(values) -> str:
    return SEPARATOR.join(dict.fromkeys(v.upper() for v in values if v))


def search_text_add(order: Order, values) -> bool:
    """Add to the order's (locked or new) search text the values it lacks; say whether it
    changed (the caller saves it)."""
    held = set(order.search_text.split(SEPARATOR))
    added = [v for v in [*_own_values(order), *values] if v and v.upper() not in held]
    if added:
        order.search_text = _joined([*order.search_text.split(SEPARATOR), *added])
    return bool(added)


def search_text_for(order, lines, payment_ids) -> str:
    """The search text of `order` (its id and customer) with `lines`' (SKU, description) pairs
    and `payment_ids`."""
    return _joined([*_own_values(order), *(v for line in lines for v in line), *payment_ids])


def search_text_of(order: Order) -> str:
    """The order's search text from what it holds now."""
    lines = OrderLine.objects.filter(order_id=order.pk).values_list("item_id", "description")
    payment_ids = PaymentOperation.objects.filter(order_id=order.pk).values_list("payment_id", flat=True)
    return search_text_for(order, lines, payment_ids)


def search_text_refresh(order: Order) -> None:
    """After a change of the customer or a line's description: the search text made afresh
    (what was removed is no longer found)."""
    text = search_text_of(order)
    if text != order.search_text:
        order.search_text = text
        Order.objects.filter(pk=order.pk).update(search_text=text)
