"""Recording payment operations: authorizations, captures, refunds and cancellations.

The rules (spec §7), per line and over successful operations, with s the sign of the line's
gross: every amount is non-zero with sign s; s·authorized ≤ s·gross;
s·(captured + cancelled) ≤ s·authorized; s·refunded ≤ s·captured; nothing is authorized or
captured on a cancelled order. They are checked under the order's row lock, and the line's
check constraints hold them again in the database.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, F, Min, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from backoffice.actor import Actor
from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput
from backoffice.rows import columns, inserting, key, placeholders, table, updating, updating_each
from orders.holds import Hold, held_by_line, holds_described, order_cancelling, order_holds
from orders.ledger import limit_error
from orders.locks import OrderRef, order_lock
from orders.models import (
    EventKind,
    ItemAmount,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    OrderStatus,
    PaymentOperation,
)
from orders.money import format_money
from orders.timeline import operation_summary, order_cancelled_summary

from .authorizations import authorization_check
from .events import event_write
from .finance_rollup import finance_days_add
from .search_text import search_text_add
from .status import CLOSED_REFUSES, order_closed_check
from .totals import order_totals_added, order_totals_refresh

_LEDGER_FIELD = {
    OperationKind.AUTHORIZATION: "authorized_amount",
    OperationKind.CAPTURE: "captured_amount",
    OperationKind.REFUND: "refunded_amount",
    OperationKind.CANCELLATION: "cancelled_amount",
}
_RECORDED_EVENT = {
    OperationKind.AUTHORIZATION: EventKind.AUTHORIZATION_RECORDED,
    OperationKind.CAPTURE: EventKind.CAPTURE_RECORDED,
    OperationKind.REFUND: EventKind.REFUND_RECORDED,
    OperationKind.CANCELLATION: EventKind.CANCELLATION_RECORDED,
}


@dataclass(frozen=True)
class _Operation:
    """What `operation_record` and `order_cancel` write: one operation and its items."""

    items: list[ItemAmount]
    payment_id: str
    payment_details: dict[str, Any]
    success: bool = True
    authorization_id: str = ""
    processed_at: datetime | None = None
    processed_by: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def _lines_for(order: Order, kind: OperationKind, items: list[ItemAmount]) -> dict[int, OrderLine]:
    """The order's lines named by the items. A line the order lacks is bad input; an amount
    against the sign of its line breaks a ledger rule (spec §7), so it is a conflict."""
    lines = {line.line_id: line for line in _lines_named(order, [item.line_number for item in items])}
    missing = [
        FieldError(f"items[{i}].line_id", f"order {order.order_id} has no line {item.line_number}")
        for i, item in enumerate(items)
        if item.line_number not in lines
    ]
    if missing:
        raise InvalidInput(missing)
    errors = []
    for i, item in enumerate(items):
        line = lines[item.line_number]
        if line.gross_amount == 0:
            message = f"line {line.line_id}: {kind} {item.amount} on a line of gross amount 0"
        elif (item.amount < 0) != (line.sign < 0):
            what = (
                "a reversal: its amounts are negative"
                if line.sign < 0
                else "not a reversal: its amounts are positive"
            )
            message = f"line {line.line_id}: {kind} {item.amount} has the wrong sign, the line is {what}"
        else:
            continue
        errors.append(FieldError(f"items[{i}].amount", message))
    if errors:
        raise Conflict("; ".join(e.message for e in errors), ErrorCode.LEDGER, errors)
    return lines


def _lines_named(order: Order, line_ids: list[int]) -> list[OrderLine]:
    """As `order.lines.filter(line_id__in=line_ids)`, by SQL written once per number of lines
    (`backoffice.rows`): every operation reads its lines so."""
    if not line_ids:
        return []
    line = columns(OrderLine, "l", connection)
    named = placeholders(len(set(line_ids)))
    sql = (
        f"SELECT {line.select} FROM {table(OrderLine, connection)} l"
        f" WHERE l.order_id = %s AND l.line_id IN ({named})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key(Order, order.pk, connection), *sorted(set(line_ids))])
        rows = cursor.fetchall()
    found = [line.instance(row, 0, connection) for row in rows]
    for each in found:
        each.order = order
    return found


def _check_limits(
    kind: OperationKind,
    items: list[ItemAmount],
    lines: dict[int, OrderLine],
    holds: list[Hold],
    show: Callable[[int], str],
) -> None:
    errors = []
    held = held_by_line(holds, kind)
    for i, item in enumerate(items):
        line = lines[item.line_number]
        # Amounts that provider calls or payment links still under way may take count as taken.
        hold = held.get(line.line_id, 0)
        figures = line.figures.holding(kind, hold)
        message = limit_error(kind, line.line_id, item.amount, figures)
        if message:
            shown = limit_error(kind, line.line_id, item.amount, figures, show) or message
            if hold:
                message += f" ({holds_described(holds, kind, line.line_id)})"
                shown += f" ({holds_described(holds, kind, line.line_id, show)})"
            errors.append(FieldError(f"items[{i}].amount", message, shown))
    if errors:
        raise Conflict(
            "; ".join(e.message for e in errors),
            ErrorCode.LEDGER,
            errors,
            shown="; ".join(e.shown for e in errors),
        )


def _write(
    order: Order,
    kind: OperationKind,
    op: _Operation,
    lines: dict[int, OrderLine],
    actor: Actor,
    *,
    rollup: bool = True,
) -> PaymentOperation:
    """Write the operation, its items, the lines' figures and the event; then, unless the
    caller adds several operations at once at its end (`rollup=False`), the finance rollup.

    On PostgreSQL the operation, its items, the lines' figures, the order's totals and the
    event go as one statement of statements made once (`backoffice.rows.written`): every
    recorded operation makes them, and each alone cost a round trip and its own parse."""
    amount = sum(item.amount for item in op.items)
    operation = PaymentOperation(
        order=order,
        kind=kind,
        success=op.success,
        amount=amount,
        payment_id=op.payment_id,
        payment_details=op.payment_details,
        authorization_id=op.authorization_id,
        processed_at=op.processed_at,
        processed_by=op.processed_by,
        metadata=op.metadata,
        **actor.fields(),
    )
    items = [
        OperationItem(
            operation=operation, line=lines[item.line_number], amount=item.amount, payout=item.payout
        )
        for item in op.items
    ]
    writes = [inserting([operation], connection)]
    if items:  # the items' own keys are not read back: nothing reads them again here
        writes.append(inserting(items, connection, keys=False))
    operation.item_list = sorted(op.items, key=lambda i: i.line_number)  # as read back, unread
    # The first operation under a payment id makes it searchable, saved with the totals.
    searchable = ("search_text",) if search_text_add(order, [op.payment_id]) else ()
    data = {
        "operation_id": str(operation.id),
        "kind": kind,
        "amount": amount,
        "payment_id": op.payment_id,
        "items": [{"line_id": item.line_number, "amount": item.amount} for item in op.items],
    }
    if op.metadata.get("reason"):
        data["reason"] = op.metadata["reason"]  # why staff refunded or cancelled, for the timeline
    if op.success:
        # The lines were read under the order's lock, so their figures are current: the new
        # ones are written in one statement, however many lines the operation names.
        field = _LEDGER_FIELD[kind]
        changed = [lines[item.line_number] for item in op.items]
        for line, item in zip(changed, op.items, strict=True):
            setattr(line, field, getattr(line, field) + item.amount)
        if len(changed) == 1:  # most operations: a plain update, cheaper to plan than a CASE
            writes.append(updating(changed[0], [field], connection))
        elif changed:
            writes.append(updating_each(changed, field, connection))
        writes.append(order_totals_added(order, field, amount, also=searchable))
        event_write(
            order=order,
            kind=_RECORDED_EVENT[kind],
            actor=actor,
            data=data,
            summary=operation_summary(data, order.currency),
            along=writes,
        )
        if rollup:
            finance_days_add([operation])
    else:
        if searchable:
            writes.append(updating(order, ["search_text"], connection))
        event_write(
            order=order,
            kind=EventKind.OPERATION_FAILED,
            actor=actor,
            data=data,
            summary=operation_summary(data, order.currency, failed=True),
            along=writes,
        )
    return operation


def operation_record(
    *,
    order: Order | OrderRef,
    kind: OperationKind,
    items: list[ItemAmount],
    payment_id: str,
    payment_details: dict[str, Any] | None = None,
    success: bool = True,
    authorization_id: str = "",
    processed_at: datetime | None = None,
    processed_by: str = "",
    metadata: dict[str, Any] | None = None,
    actor: Actor,
    settling: str = "",
) -> PaymentOperation:
    """Record an operation that happened at the payment provider: a non-zero amount on each of
    `items` (one item per line), under `payment_id`; `payment_details` is stored as given, with
    the payment id. `order` may be an `OrderRef` (an API request's account and order id): it is
    then found as it is locked, a 404 if its account has no such order.

    What provider calls and payment links still under way may take (`orders.holds`) counts
    against what each line can take now; `settling` names the call or link whose outcome
    this records, which does not hold against itself.
    """
    op = _Operation(
        items=list(items),
        payment_id=payment_id,
        payment_details={**(payment_details or {}), "payment_id": payment_id},
        success=success,
        authorization_id=authorization_id,
        processed_at=processed_at,
        processed_by=processed_by,
        metadata=metadata or {},
    )
    with transaction.atomic():
        order = order_lock(order if isinstance(order, OrderRef) else order.pk)
        # Cancelling needs nothing captured, so a cancelled order has nothing to refund either.
        if order.is_cancelled:
            raise Conflict(
                f"order {order.order_id} is cancelled: no {kind} can be recorded",
                ErrorCode.ORDER_CANCELLED,
            )
        # A closed order takes nothing new; what is left may still be refunded or cancelled.
        if kind in CLOSED_REFUSES:
            order_closed_check(order, f"new {kind}")
        lines = _lines_for(order, kind, op.items)
        if op.success:
            authorization_check(order, kind, op.items, op.authorization_id)
            holds = order_holds(order, kind, exclude=[settling])
            _check_limits(kind, op.items, lines, holds, partial(format_money, currency=order.currency))
        return _write(order, kind, op, lines, actor)


def _remaining_authorized_by_payment(order: Order, lines: dict[int, OrderLine]) -> dict[str, dict[int, int]]:
    """What cancelling the order cancels: per payment id, per line id.

    Each line's remaining authorization (authorized - cancelled, from its ledger figures) is
    split over the payment ids that authorized it, in the order they did, each taking what it
    still holds open; earlier cancellations may have named another payment id, so whatever is
    left after that goes to the line's first payment id.
    """
    # Cancellations carry the sign of the line, like the authorizations they undo.
    signed = Case(
        When(operation__kind=OperationKind.CANCELLATION, then=-F("amount")),
        default=F("amount"),
        output_field=BigIntegerField(),
    )
    rows = (
        OperationItem.objects.filter(
            operation__order=order,
            operation__success=True,
            operation__kind__in=[OperationKind.AUTHORIZATION, OperationKind.CANCELLATION],
        )
        .values("operation__payment_id", "line__line_id")
        .annotate(open=Sum(signed), first=Min("operation__created_at"))
        .order_by("first", "operation__payment_id")
    )
    open_by_line: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for row in rows:
        open_by_line[row["line__line_id"]].append((row["operation__payment_id"], row["open"]))
    plan: dict[str, dict[int, int]] = defaultdict(dict)
    for line_id, line in sorted(lines.items()):
        left = line.to_capture  # nothing is captured on an order being cancelled
        if not left or not open_by_line[line_id]:
            continue
        sign = line.sign
        for payment_id, held in open_by_line[line_id]:
            take = sign * min(sign * held, sign * left) if sign * held > 0 else 0
            if take:
                plan[payment_id][line_id] = take
                left -= take
        if left:
            first = open_by_line[line_id][0][0]
            plan[first][line_id] = plan[first].get(line_id, 0) + left
    return plan


def order_cancel(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """Cancel the whole order: only while nothing is captured. Cancels every remaining
    authorized amount, one cancellation per payment id, and marks the order CANCELLED."""
    with transaction.atomic():
        order = order_lock(order.pk)
        if order.is_cancelled:
            raise Conflict(
                f"order {order.order_id} is already cancelled",
                ErrorCode.ORDER_CANCELLED,
                shown=_("order %(order_id)s is already cancelled") % {"order_id": order.order_id},
            )
        # A capture or cancellation still under way at the provider may already have taken money.
        holds = order_holds(order, OperationKind.CANCELLATION)
        if holds:
            money = partial(format_money, currency=order.currency)
            why = f"order {order.order_id} cannot be cancelled while calls are under way at the provider: "
            raise Conflict(
                why + f"{holds_described(holds, OperationKind.CANCELLATION)}; reconcile first",
                ErrorCode.LEDGER,
                shown=_(
                    "order %(order_id)s cannot be cancelled while calls are under way at the provider: "
                    "%(holds)s; reconcile first"
                )
                % {
                    "order_id": order.order_id,
                    "holds": holds_described(holds, OperationKind.CANCELLATION, show=money),
                },
            )
        captured = order.lines.exclude(captured_amount=0).order_by("line_id").first()
        if captured is not None:
            why = f"order {order.order_id} cannot be cancelled: line {captured.line_id} has "
            raise Conflict(
                why + f"{captured.captured_amount} captured; refund it instead",
                ErrorCode.LEDGER,
                shown=_(
                    "order %(order_id)s cannot be cancelled: line %(line)s has %(amount)s captured; "
                    "refund it instead"
                )
                % {
                    "order_id": order.order_id,
                    "line": captured.line_id,
                    "amount": format_money(captured.captured_amount, order.currency),
                },
            )
        lines = {line.line_id: line for line in order.lines.all()}
        written = []
        for payment_id, per_line in sorted(_remaining_authorized_by_payment(order, lines).items()):
            op = _Operation(
                items=[ItemAmount(lid, amt) for lid, amt in sorted(per_line.items())],
                payment_id=payment_id,
                payment_details={"payment_id": payment_id},
                metadata={"reason": "order cancelled"},
            )
            written.append(_write(order, OperationKind.CANCELLATION, op, lines, actor, rollup=False))
        # Payment links of the order stop being payable in the same transaction.
        order_cancelling(order, actor)
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by = actor.label
        order.cancelled_reason = reason[:500]
        order.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancelled_reason"])
        order_totals_refresh(order)
        event_write(
            order=order,
            kind=EventKind.ORDER_CANCELLED,
            actor=actor,
            summary=order_cancelled_summary(reason),
            data={"reason": reason},
        )
        # Last, in one statement: the rollup rows' locks are held only until the commit.
        finance_days_add(written)
        return order
