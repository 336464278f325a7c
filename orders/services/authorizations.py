"""Dintero's `multiple_authorizations`: an order whose draft chose it takes several
authorizations of the same lines, each with its `authorization_id`, and every capture, refund
and cancellation names the authorization it moves; each authorization is its own ledger,
line by line, within the line's (which `orders.ledger` checks as for any order).

https://docs.dintero.com/api-reference/orderlist/get-authorization-collection (`authorization_id`,
answered only with `multiple_authorizations`); https://docs.dintero.com/orders-api.html.
Orders without the option are as before: `authorization_id` is kept when sent, and checked
against nothing.
"""

from collections import defaultdict

from django.db.models import Sum

from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput
from orders.ledger import OperationKind
from orders.models import ItemAmount, OperationItem, Order


def authorization_check(
    order: Order, kind: OperationKind, items: list[ItemAmount], authorization_id: str
) -> None:
    """A successful operation on an order with multiple authorizations, under the order's lock:
    it names an authorization (a new one for an authorization, a recorded one otherwise), and
    no line moves more under that authorization than it holds."""
    if not order.multiple_authorizations:
        return
    if not authorization_id:
        raise InvalidInput(
            [
                FieldError(
                    "authorization_id",
                    f"is required: order {order.order_id} takes multiple authorizations, "
                    "and each operation names the one it moves",
                )
            ]
        )
    moved = _moved(order, authorization_id)
    authorized = {line: amount for (k, line), amount in moved.items() if k == OperationKind.AUTHORIZATION}
    if kind == OperationKind.AUTHORIZATION:
        if authorized:
            raise Conflict(
                f"authorization {authorization_id} is already recorded on order {order.order_id}",
                ErrorCode.CONFLICT,
                [FieldError("authorization_id", f"authorization {authorization_id} is already recorded")],
            )
        return
    if not authorized:
        raise InvalidInput(
            [
                FieldError(
                    "authorization_id", f"order {order.order_id} has no authorization {authorization_id}"
                )
            ]
        )
    errors = []
    for i, item in enumerate(items):
        line = item.line_number
        captured = moved.get((OperationKind.CAPTURE, line), 0)
        cancelled = moved.get((OperationKind.CANCELLATION, line), 0)
        if kind == OperationKind.REFUND:
            left, what = captured - moved.get((OperationKind.REFUND, line), 0), "captured"
        else:
            left, what = authorized.get(line, 0) - captured - cancelled, "authorized"
        if abs(item.amount) > abs(left) or (left and (item.amount < 0) != (left < 0)) or not left:
            errors.append(
                FieldError(
                    f"items[{i}].amount",
                    f"line {line}: {kind} {item.amount} exceeds the {left} {what} by "
                    f"authorization {authorization_id} that is left",
                )
            )
    if errors:
        raise Conflict("; ".join(e.message for e in errors), ErrorCode.LEDGER, errors)


def _moved(order: Order, authorization_id: str) -> dict[tuple[str, int], int]:
    """What the order's successful operations under `authorization_id` moved, by kind and line."""
    rows = (
        OperationItem.objects.filter(
            operation__order=order, operation__authorization_id=authorization_id, operation__success=True
        )
        .values_list("operation__kind", "line__line_id")
        .annotate(total=Sum("amount"))
    )
    moved: dict[tuple[str, int], int] = defaultdict(int)
    for kind, line, total in rows:
        moved[(kind, line)] += total
    return moved
