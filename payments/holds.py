"""The payments app's holds on an order (see `orders.holds`): provider calls whose outcome is
not known yet, and payment links the customer can still pay.

`payments.services.hold_source` hands them to the orders app, so every operation recorded on an
order (through the API, a staff form, a provider's answer or a whole-order cancel) counts them.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

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
# A hold's words are lazy: said in the language of the page or the API message that reads them.
_STATE_TEXT = {
    CallState.PENDING: gettext_lazy("not sent yet"),
    CallState.SENDING: gettext_lazy("sent, no answer yet"),
    CallState.UNKNOWN: gettext_lazy("outcome unknown"),
}
_CALL_TEXT = {
    CallKind.SESSION: gettext_lazy("payment link call {ref} at the {provider} ({state})"),
    CallKind.CAPTURE: gettext_lazy("capture call {ref} at the {provider} ({state})"),
    CallKind.REFUND: gettext_lazy("refund call {ref} at the {provider} ({state})"),
    CallKind.VOID: gettext_lazy("cancel call {ref} at the {provider} ({state})"),
    CallKind.EXPIRE: gettext_lazy("expire payment link call {ref} at the {provider} ({state})"),
}


def _call_holds(call: Mapping[str, Any]) -> list[Hold]:
    what = format_lazy(
        _CALL_TEXT[CallKind(call["kind"])],
        ref=str(call["pk"])[:8],
        provider=Provider(call["provider"]).label,
        state=_STATE_TEXT[CallState(call["state"])],
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
    if status == SessionStatus.CREATING:
        what = format_lazy(gettext_lazy("payment link {ref} (being created)"), ref=str(session_pk)[:8])
    else:
        what = format_lazy(gettext_lazy("payment link {ref} (open)"), ref=str(session_pk)[:8])
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
