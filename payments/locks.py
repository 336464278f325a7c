"""Row locks of the payments app, always taken after the order's (`orders.locks.order_lock`):
every writer locks the order first, then the call or link, so two writers never wait on each
other in a circle. Call them inside the transaction that makes the change."""

from orders.locks import order_lock
from orders.models import Order
from payments.models import PaymentSession, ProviderCall


def call_lock(call: ProviderCall) -> tuple[Order, ProviderCall]:
    """The call's order and the call, locked in that order; the call as it is now stored."""
    order = order_lock(call.order_id)
    return order, ProviderCall.objects.select_for_update().get(pk=call.pk)


def session_lock(session: PaymentSession) -> tuple[Order, PaymentSession]:
    """The payment link's order and the link, locked in that order; the link as it is now
    stored."""
    order = order_lock(session.order_id)
    return order, PaymentSession.objects.select_for_update().get(pk=session.pk)
