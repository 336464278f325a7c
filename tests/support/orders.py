"""The order builder: line bodies and orders made through the services, as real ones are.

A line's VAT is what the product itself computes from its gross and rate
(`orders.money.vat_contained`), so a body built here is one the API accepts as it stands.

    order = make_order(account)                                  # the seed's line, nothing paid
    order = make_order(account, [item(1), item(2, 10000)], captured=True)
    order = make_order(account, authorized=True, reversed=[1])   # line 2 reverses line 1
    record(order, "capture", [(1, 20000)])
"""

import copy
from collections.abc import Sequence

from backoffice.actor import Actor
from backoffice.api.errors import validated
from backoffice.models import Account
from orders.api.inputs import DraftInputSerializer, OperationInputSerializer
from orders.models import DraftOrder, OperationKind, Order, OrderLine, PaymentOperation
from orders.money import vat_contained
from orders.services.drafts import draft_complete, draft_create
from orders.services.operations import operation_record

SEED_ITEM = {
    "id": "175938",
    "line_id": 1,
    "quantity": 2,
    "gross_amount": 39800,
    "tax_lines": [{"amount": 7960, "percentage": 25}],
    "description": "Stablestol for utendørsbruk",
    "description_alias": "Stablestol",
}
SEED_DRAFT = {
    "options": {"generate_order_id": "ALPHANUMERIC_9"},
    "order": {"currency": "NOK", "items": [SEED_ITEM]},
}
TEST_ACTOR = Actor(system="tests")

# A trait's lines: True for every line of the order, whole, or `[(line_id, amount), ...]`.
Lines = bool | list[tuple[int, int]]


def item(line_id: int = 1, gross: int = 39800, rate: int = 25, **extra) -> dict:
    """A line body: the seed's item (quantity 2) with this line id and gross, and the VAT the
    gross contains at `rate`. `extra` sets any other field."""
    return {
        **copy.deepcopy(SEED_ITEM),
        "line_id": line_id,
        "gross_amount": gross,
        "tax_lines": [{"amount": vat_contained(gross, rate), "percentage": rate}],
        **extra,
    }


def line(line_id: int, gross: int, quantity: int = 1, **extra) -> dict:
    """`item` of quantity 1 unless said: the API tests' lines."""
    return item(line_id, gross, quantity=quantity, **extra)


def reversal(line_id: int, of: int, gross: int, quantity: int = 1, **extra) -> dict:
    """A line reversing `gross` (given positive) and `quantity` of line `of`."""
    return line(line_id, -gross, quantity, related_item={"line_id": of, "type": "reversed"}, **extra)


def draft_body(items: list[dict] | None = None, order_id: str | None = None, currency: str = "NOK") -> dict:
    """A draft body: the seed's without items; with them, a new order's or, with `order_id`, an
    update of that order."""
    if items is None:
        return copy.deepcopy(SEED_DRAFT)
    options = {"order_id": order_id} if order_id else {"generate_order_id": "ALPHANUMERIC_9"}
    return {"options": options, "order": {"currency": currency, "items": items}}


def op_body(lines: list[tuple[int, int]], payment_id: str = "PID_123", success: bool = True) -> dict:
    """`op_body([(1, 39800)])` -> a Dintero operation body."""
    return {
        "items": [{"amount": amount, "line_id": line_id} for line_id, amount in lines],
        "payment_details": {"payment_id": payment_id},
        "success": success,
    }


def draft_input(body: dict) -> dict:
    """A draft body as the keyword arguments of `draft_create`, checked as the API checks it."""
    return validated(DraftInputSerializer(data=body))


def operation_input(body: dict) -> dict:
    """An operation body as the keyword arguments of `operation_record`, checked as the API
    checks it."""
    return validated(OperationInputSerializer(data=body))


def make_order(
    account: Account,
    items: list[dict] | None = None,
    currency: str = "NOK",
    actor: Actor = TEST_ACTOR,
    *,
    authorized: Lines = False,
    captured: Lines = False,
    refunded: Lines = False,
    reversed: Sequence[int] = (),
    payment_id: str = "PID_123",
    **order_fields,
) -> Order:
    """A completed order (the seed's line unless `items`), then its traits in this order, each
    one operation under `payment_id`:

    * `authorized`, `captured`, `refunded`: those lines' amounts recorded (True: every line,
      whole). Capturing authorizes first and refunding captures first, whole, unless said.
    * `reversed`: line ids reversed whole (gross and quantity) by one update of the order, the
      reversal lines numbered after the last line."""
    draft = draft_create(
        account=account,
        **draft_input(
            {
                "options": {"generate_order_id": "ALPHANUMERIC_9"},
                "order": {"currency": currency, "items": items or [item()], **order_fields},
            }
        ),
        actor=actor,
    )
    order = draft_complete(draft=draft, actor=actor)
    if refunded and not captured:
        captured = True
    if captured and not authorized:
        authorized = True
    for kind, lines in (("authorization", authorized), ("capture", captured), ("refund", refunded)):
        if lines:
            record(order, kind, _whole(order) if lines is True else lines, payment_id=payment_id, actor=actor)
    if reversed:
        lines = {n.line_id: n for n in order.lines.prefetch_related("tax_lines")}
        update(
            order,
            [_reversal_of(lines[of], order.last_line_id + n) for n, of in enumerate(reversed, start=1)],
            actor=actor,
        )
        order.refresh_from_db()
    return order


def _whole(order: Order) -> list[tuple[int, int]]:
    return list(order.lines.order_by("line_id").values_list("line_id", "gross_amount"))


def _reversal_of(reversed_line: OrderLine, line_id: int) -> dict:
    """The body of a line reversing `reversed_line` whole: its item, quantity, gross and rate."""
    (tax,) = reversed_line.tax_lines.all()
    rate = tax.percentage
    return item(
        line_id,
        -reversed_line.gross_amount,
        int(rate) if rate == rate.to_integral_value() else float(rate),
        id=reversed_line.item_id,
        description=reversed_line.description,
        description_alias=reversed_line.description_alias,
        quantity=reversed_line.quantity,
        related_item={"line_id": reversed_line.line_id, "type": "reversed"},
    )


def make_draft(account: Account, items: list[dict] | None = None, actor: Actor = TEST_ACTOR) -> DraftOrder:
    """An open draft of a new order (the seed's line unless `items`), made through the service."""
    return draft_create(account=account, actor=actor, **draft_input(draft_body(items or [item()])))


def update(order: Order, items: list[dict], actor: Actor = TEST_ACTOR, **order_fields) -> Order:
    """Complete an update draft of `order` that adds `items` (through the services)."""
    draft = draft_create(
        account=order.account,
        actor=actor,
        **draft_input(
            {
                "options": {"order_id": order.order_id},
                "order": {"currency": order.currency, "items": items, **order_fields},
            }
        ),
    )
    return draft_complete(draft=draft, actor=actor)


def record(
    order: Order,
    kind: OperationKind | str,
    lines: list[tuple[int, int]],
    payment_id: str = "PID_123",
    success: bool = True,
    actor: Actor = TEST_ACTOR,
) -> PaymentOperation:
    """Record an operation through the service: `record(order, "capture", [(1, 39800)])`."""
    return operation_record(
        order=order,
        kind=OperationKind(kind),
        actor=actor,
        **operation_input(op_body(lines, payment_id, success)),
    )
