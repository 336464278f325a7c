"""Which payment ids the provider can act on. What the books say per payment id and line is
`orders.selectors.payment_figures`; what calls still under way may take is in `payments.holds`."""

from orders.models import OperationItem, OperationKind, Order
from payments.models import PaymentSession, SandboxTransaction


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
