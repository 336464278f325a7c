"""The payments app's holds on an order (see `orders.holds`): provider calls whose outcome is
not known yet, and payment links the customer can still pay.

`payments.services.hold_source` hands them to the orders app, so every operation recorded on an
order (through the API, a staff form, a provider's answer or a whole-order cancel) counts them.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import Q

from orders.holds import Hold
from orders.models import OperationKind, Order
from payments.models import (
    IN_FLIGHT,
    PAYABLE,
    CallKind,
    CallState,
    PaymentSession,
    Provider,
    ProviderCall,
    SessionStatus,
)

# What a provider call records on the order once it is confirmed.
OPERATION_KIND = {
    CallKind.CAPTURE: OperationKind.CAPTURE,
    CallKind.REFUND: OperationKind.REFUND,
    CallKind.VOID: OperationKind.CANCELLATION,
}
_STATE_TEXT = {
    CallState.PENDING: "not sent yet",
    CallState.SENDING: "sent, no answer yet",
    CallState.UNKNOWN: "outcome unknown",
}


def _call_holds(call: Mapping[str, Any]) -> list[Hold]:
    what = (
        f"{CallKind(call['kind']).label.lower()} call {str(call['pk'])[:8]} at the "
        f"{Provider(call['provider']).label} ({_STATE_TEXT[CallState(call['state'])]})"
    )
    return [
        Hold(
            ref=str(call["pk"]),
            kind=OPERATION_KIND[CallKind(call["kind"])],
            line_id=item["line_id"],
            amount=item["amount"],
            what=what,
            payment_id=call["payment_id"],
        )
        for item in call["items"]
    ]


def _link_holds(session_pk, status: str, items: list[dict]) -> list[Hold]:
    state = "being created" if status == SessionStatus.CREATING else "open"
    what = f"payment link {str(session_pk)[:8]} ({state})"
    return [
        Hold(
            ref=str(session_pk),
            kind=OperationKind.AUTHORIZATION,
            line_id=item["line_id"],
            amount=item["amount"],
            what=what,
        )
        for item in items
    ]


def session_holds(session: PaymentSession) -> list[Hold]:
    """What a payment link holds while the customer can still pay it."""
    if session.status not in PAYABLE:
        return []
    return _link_holds(session.pk, session.status, session.items)


def payment_holds(order: Order, kind: OperationKind | None = None) -> list[Hold]:
    """The order's holds from this app, in one query: calls under way, and the link request of
    each payable link (a link's request carries the link's items). Only links take from what
    is left to authorize; only calls from the rest. A call about a link (voiding what an
    expired link took) records nothing, so it holds nothing."""
    calls = Q(state__in=IN_FLIGHT, kind__in=list(OPERATION_KIND), session__isnull=True)
    links = Q(kind=CallKind.SESSION, session__status__in=PAYABLE)
    wanted = {None: calls | links, OperationKind.AUTHORIZATION: links}.get(kind, calls)
    rows = ProviderCall.objects.filter(wanted, order=order).values(
        "pk", "kind", "state", "provider", "payment_id", "items", "session_id", "session__status"
    )
    holds: list[Hold] = []
    for row in rows:
        if row["kind"] == CallKind.SESSION:
            holds += _link_holds(row["session_id"], row["session__status"], row["items"])
        else:
            holds += _call_holds(row)
    return holds
