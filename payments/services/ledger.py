"""What the order's books say per payment id and line, and which payment ids the provider can
act on. What calls still under way may take is in `payments.holds`."""

from dataclasses import dataclass

from django.db.models import Min, Sum

from orders.models import OperationItem, OperationKind, Order
from payments.models import PaymentSession, SandboxTransaction


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
