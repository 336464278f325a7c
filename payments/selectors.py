"""Reads for the payment panel and pages."""

from django.db.models import QuerySet

from backoffice.errors import DomainError, NotFound
from backoffice.models import Account
from orders.models import Order
from payments.gateways import default_provider
from payments.models import PAYABLE, CallKind, Mismatch, PaymentSession, ProviderCall, SessionStatus
from payments.planning import calls_plan, plan_basis


def panel_order_get(*, account: Account, order_id: str) -> Order:
    """The account's order as the payment panel reads it: its lines at hand."""
    order = (
        Order.objects.filter(account=account, order_id=order_id)
        .select_related("account")
        .prefetch_related("lines")
        .first()
    )
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


def call_list(*, order: Order) -> QuerySet[ProviderCall]:
    return order.provider_calls.select_related("operation", "session").order_by("-created_at", "-id")


def session_list(*, order: Order) -> QuerySet[PaymentSession]:
    return order.payment_sessions.order_by("-created_at")


def provider_amounts(order: Order, provider: str) -> dict[str, int]:
    """What the provider can still capture, refund and cancel on the order."""
    basis = plan_basis(order, provider)
    out = {}
    for kind in (CallKind.CAPTURE, CallKind.REFUND, CallKind.VOID):
        try:
            plan = calls_plan(order, kind, None, provider, basis)
        except DomainError:
            plan = {}
        out[kind.value] = sum(sum(per_line.values()) for per_line in plan.values())
    return out


def to_authorize(order: Order, sessions: list[PaymentSession]) -> int:
    """What is left to authorize beyond the links the customer can still pay: what a new link
    would ask for."""
    left = sum(line.to_authorize for line in order.lines.all() if line.gross_amount > 0)
    return max(left - sum(s.amount for s in sessions if s.is_payable), 0)


def open_mismatches() -> QuerySet[Mismatch]:
    return Mismatch.objects.filter(resolved_at__isnull=True).select_related(
        "order", "order__account", "last_run"
    )


def panel(order: Order) -> dict:
    """What the payment panel shows of an order (the view adds what the user may do)."""
    provider = default_provider()
    sessions = list(session_list(order=order)[:10])
    payable = list(order.payment_sessions.filter(status__in=PAYABLE).order_by("created_at"))
    return {
        "provider": provider,
        "is_sandbox": provider == "sandbox",
        "amounts": provider_amounts(order, provider) if provider else {},
        "to_authorize": to_authorize(order, payable),
        "open_sessions": [s for s in payable if s.status == SessionStatus.OPEN],
        "sessions": sessions,
        "calls": list(call_list(order=order)[:20]),
        "mismatches": list(open_mismatches().filter(order=order)),
    }
