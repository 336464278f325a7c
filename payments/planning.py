"""Planning provider calls: which payment ids the provider can act on, and per payment id and
line what a capture, refund or cancel may ask for. What the books say per payment id and line is
`orders.selectors.payment_figures` (rules in `orders.ledger`); what calls still under way hold is
`payments.holds`. Reads only: the services plan under the order's lock, the panel without."""

from dataclasses import dataclass
from functools import partial

from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput
from orders.holds import Hold
from orders.ledger import Figures, provider_exceeds_message
from orders.models import OperationItem, OperationKind, Order, OrderLine
from orders.money import format_money
from orders.selectors import payment_figures
from payments.holds import OPERATION_KIND, payment_holds
from payments.items import ItemAmount
from payments.models import CallKind, PaymentSession, Provider
from payments.sandbox.models import SandboxTransaction


def provider_payment_ids(order: Order, provider: str) -> set[str]:
    """Payment ids the provider can act on: transactions that paid our sessions, and for the
    sandbox any id it holds; for Dintero, every recorded payment id may be a transaction."""
    ids = set(
        PaymentSession.objects.filter(order=order, provider=provider)
        .exclude(transaction_id="")
        .values_list("transaction_id", flat=True)
    )
    recorded = set(
        OperationItem.objects.filter(operation__order=order, operation__kind=OperationKind.AUTHORIZATION)
        .values_list("operation__payment_id", flat=True)
        .distinct()
    )
    if provider == Provider.DINTERO:
        return ids | recorded
    return ids | set(SandboxTransaction.objects.filter(pk__in=recorded).values_list("pk", flat=True))


@dataclass
class PlanBasis:
    """What planning a call reads: the order's lines, its per-payment ledger for the payment ids
    the provider can act on, and what calls still under way hold. Read once, it serves every
    kind."""

    lines: dict[int, OrderLine]
    ledger: dict[str, dict[int, Figures]]
    holds: list[Hold]

    def held(self, kind: CallKind) -> dict[tuple[str, int], int]:
        """Per (payment id, line id): what calls under way that collide with `kind` hold."""
        held: dict[tuple[str, int], int] = {}
        for hold in self.holds:
            if hold.payment_id and hold.collides_with(OPERATION_KIND[kind]):
                key = (hold.payment_id, hold.line_id)
                held[key] = held.get(key, 0) + hold.amount
        return held


def plan_basis(order: Order, provider: str) -> PlanBasis:
    usable = provider_payment_ids(order, provider)
    return PlanBasis(
        lines={line.line_id: line for line in order.lines.all()},
        ledger={pid: per_line for pid, per_line in payment_figures(order).items() if pid in usable},
        holds=payment_holds(order),
    )


def calls_plan(
    order: Order,
    kind: CallKind,
    items: list[ItemAmount] | None,
    provider: str,
    basis: PlanBasis | None = None,
) -> dict[str, dict[int, int]]:
    """Per payment id, per line: the amounts to ask the provider for (`items` None: all it can
    still take). What the order's books leave per payment, less what calls under way hold, is
    the limit; asking for more is a 409 naming the line."""
    basis = basis or plan_basis(order, provider)
    lines = basis.lines
    if items:
        errors = [
            FieldError(f"items[{i}].line_id", f"order {order.order_id} has no line {item.line_id}")
            for i, item in enumerate(items)
            if item.line_id not in lines
        ]
        errors += [
            FieldError(f"items[{i}].line_id", f"line {item.line_id} is a reversal: record it instead")
            for i, item in enumerate(items)
            if item.line_id in lines and lines[item.line_id].gross_amount < 0
        ]
        if errors:
            raise InvalidInput(errors)
    ledger = basis.ledger
    held = basis.held(kind)

    def left(pid: str, line_id: int) -> int:
        figures = ledger[pid].get(line_id)
        if figures is None or lines[line_id].gross_amount < 0:
            return 0
        base = figures.refundable if kind == CallKind.REFUND else figures.to_capture
        return base - held.get((pid, line_id), 0)

    plan: dict[str, dict[int, int]] = {}
    if kind == CallKind.VOID:
        return _plan_void(order, items, ledger, held, lines)
    if items is None:
        for pid in ledger:
            for line_id in sorted(ledger[pid]):
                if line_id in lines and left(pid, line_id) > 0:
                    plan.setdefault(pid, {})[line_id] = left(pid, line_id)
    else:
        messages, shown = [], []
        money = partial(format_money, currency=order.currency)
        for item in items:
            wanted = item.amount
            for pid in ledger:
                take = min(wanted, max(left(pid, item.line_id), 0))
                if take > 0:
                    plan.setdefault(pid, {})[item.line_id] = take
                    wanted -= take
            if wanted:
                possible = item.amount - wanted
                kind_ = OPERATION_KIND[kind]
                messages.append(provider_exceeds_message(kind_, item.line_id, item.amount, possible))
                shown.append(provider_exceeds_message(kind_, item.line_id, item.amount, possible, money))
        if messages:
            raise Conflict("; ".join(messages), ErrorCode.LEDGER, shown="; ".join(shown))
    if not plan:
        what = {CallKind.CAPTURE: "to capture", CallKind.REFUND: "to refund"}[kind]
        raise Conflict(f"order {order.order_id} has nothing {what} at the provider", ErrorCode.LEDGER)
    return plan


def _plan_void(
    order: Order,
    items: list[ItemAmount] | None,
    ledger: dict[str, dict[int, Figures]],
    held: dict[tuple[str, int], int],
    lines: dict[int, OrderLine],
) -> dict[str, dict[int, int]]:
    """The provider cancels a payment's whole remaining authorization, and only before any
    capture of it."""
    wanted_lines = {item.line_id: item.amount for item in items} if items else None
    plan: dict[str, dict[int, int]] = {}
    for pid, per_line in ledger.items():
        remaining = {
            line_id: f.to_capture
            for line_id, f in per_line.items()
            if f.to_capture > 0 and line_id in lines and lines[line_id].gross_amount > 0
        }
        if not remaining:
            continue
        if wanted_lines is not None and not set(remaining) & set(wanted_lines):
            continue
        if any(f.captured for f in per_line.values()):
            if wanted_lines is not None:
                raise Conflict(f"payment {pid} has captures: the provider cannot cancel it; refund instead")
            continue
        if any(amount for (held_pid, _line), amount in held.items() if held_pid == pid):
            raise Conflict(f"payment {pid} has a call still under way at the provider: settle it first")
        plan[pid] = remaining
    if wanted_lines is not None:
        asked = {line_id: sum(p.get(line_id, 0) for p in plan.values()) for line_id in wanted_lines}
        if asked != wanted_lines:
            raise InvalidInput(
                [
                    FieldError(
                        "items",
                        "the provider cancels a payment's whole remaining authorization: "
                        + ", ".join(f"line {lid}: {amt}" for lid, amt in sorted(asked.items())),
                    )
                ]
            )
    if not plan:
        raise Conflict(
            f"order {order.order_id} has no uncaptured authorization to cancel at the provider",
            ErrorCode.LEDGER,
        )
    return plan
