from django.db import connection
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from backoffice.rows import Write, updating, written
from orders.ledger import payment_status
from orders.models import Order

_FIELDS = (
    "gross_amount",
    "tax_amount",
    "authorized_amount",
    "captured_amount",
    "refunded_amount",
    "cancelled_amount",
)
# Dintero's discount totals, the sums of the lines' discount lines (all, and the manual ones):
# https://docs.dintero.com/api-reference/draft/complete-a-draft-order (`total_discount`,
# `total_manual_discount_amount`). The lines' gross amounts are already after their discounts.
_DISCOUNTS = {"total_discount": "discount_amount", "total_manual_discount_amount": "manual_discount_amount"}


def order_totals_refresh(order: Order) -> Order:
    """Re-derive the order's cached totals and payment status from its lines.

    Call it under the order's lock, after any change to its lines or their ledger figures.
    """
    sums = order.lines.aggregate(
        **{f: Coalesce(Sum(f), 0) for f in _FIELDS},
        **{total: Coalesce(Sum(f), 0) for total, f in _DISCOUNTS.items()},
    )
    for field, value in sums.items():
        setattr(order, field, value)
    return _save(order, (*_FIELDS, *_DISCOUNTS))


def order_totals_added(order: Order, field: str, amount: int, *, also: tuple[str, ...] = ()) -> Write:
    """Add `amount` to one of the order's cached ledger totals and re-derive its payment status:
    the UPDATE that saves them, for the caller to send with the change's other writes
    (`backoffice.rows.written`).

    Call it under the order's lock, in the transaction that adds the same amount to its lines:
    the order row read under that lock holds the sums of its lines, so adding to it keeps them
    equal without summing the lines again (one query less on every recorded operation). `also`
    names other fields the caller changed on `order`, saved in the same statement.
    """
    setattr(order, field, getattr(order, field) + amount)
    return _saving(order, (field, *also))


def _save(order: Order, fields: tuple[str, ...]) -> Order:
    written([_saving(order, fields)], connection)
    return order


def _saving(order: Order, fields: tuple[str, ...]) -> Write:
    order.payment_status = payment_status(order.figures, order_cancelled=order.is_cancelled)
    order.updated_at = timezone.now()
    # An UPDATE of these columns, as save(update_fields=…) makes it without the machinery of a
    # save (the order is read under its lock: it is there, and no signal listens), by a
    # statement made once per set of columns (`backoffice.rows`).
    return updating(order, (*fields, "payment_status", "updated_at"), connection)
