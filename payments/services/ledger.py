"""What the provider can still be asked to do on an order, per payment id and line, counting
the amounts that provider calls still under way may take."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Min, Sum

from orders.models import OperationItem, OperationKind, Order
from payments.models import IN_FLIGHT, CallKind, PaymentSession, ProviderCall, SandboxTransaction

# Which in-flight calls compete with an operation of a kind for the same remaining amount.
COMPETING = {
    CallKind.CAPTURE: (CallKind.CAPTURE, CallKind.VOID),
    CallKind.VOID: (CallKind.CAPTURE, CallKind.VOID),
    CallKind.REFUND: (CallKind.REFUND,),
}
OPERATION_KIND = {
    CallKind.CAPTURE: OperationKind.CAPTURE,
    CallKind.REFUND: OperationKind.REFUND,
    CallKind.VOID: OperationKind.CANCELLATION,
}


@dataclass
class PaymentLine:
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    cancelled: int = 0

    @property
    def capturable(self) -> int:
        return self.authorized - self.captured - self.cancelled

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded


_FIELD = {
    OperationKind.AUTHORIZATION: "authorized",
    OperationKind.CAPTURE: "captured",
    OperationKind.REFUND: "refunded",
    OperationKind.CANCELLATION: "cancelled",
}


def payment_lines(order: Order) -> dict[str, dict[int, PaymentLine]]:
    """Per payment id (in the order of their first authorization), per line: the recorded
    net figures over successful operations."""
    rows = (
        OperationItem.objects.filter(operation__order=order, operation__success=True)
        .values("operation__payment_id", "operation__kind", "line__line_id")
        .annotate(total=Sum("amount"), first=Min("operation__created_at"))
        .order_by("first")
    )
    out: dict[str, dict[int, PaymentLine]] = {}
    for row in rows:
        per_line = out.setdefault(row["operation__payment_id"], {})
        figures = per_line.setdefault(row["line__line_id"], PaymentLine())
        field = _FIELD[row["operation__kind"]]
        setattr(figures, field, getattr(figures, field) + row["total"])
    return out


def held_amounts(
    order: Order, kind: CallKind, *, exclude: ProviderCall | None = None
) -> dict[tuple[str, int], int]:
    """Per (payment id, line id): amounts of in-flight calls competing with `kind`."""
    calls = ProviderCall.objects.filter(order=order, state__in=IN_FLIGHT, kind__in=COMPETING[kind])
    if exclude is not None:
        calls = calls.exclude(pk=exclude.pk)
    return held_in(calls, kind)


def held_in(calls, kind: CallKind) -> dict[tuple[str, int], int]:
    """Per (payment id, line id): what the in-flight calls among `calls` competing with `kind` hold."""
    held: dict[tuple[str, int], int] = defaultdict(int)
    for call in calls:
        if call.state in IN_FLIGHT and call.kind in COMPETING[kind]:
            for item in call.items:
                held[(call.payment_id, item["line_id"])] += item["amount"]
    return held


def held_by_line(order: Order, kind: CallKind, *, exclude: ProviderCall | None = None) -> dict[int, int]:
    by_line: dict[int, int] = defaultdict(int)
    for (_pid, line_id), amount in held_amounts(order, kind, exclude=exclude).items():
        by_line[line_id] += amount
    return dict(by_line)


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
    if provider == "dintero":
        return ids | recorded
    return ids | set(SandboxTransaction.objects.filter(pk__in=recorded).values_list("pk", flat=True))
