"""The payments app's holds on an order (see `orders.holds`): provider calls whose outcome is
not known yet, and payment links the customer can still pay.

`payments.services.hold_source` hands them to the orders app, so every operation recorded on an
order (through the API, a staff form, a provider's answer or a whole-order cancel) counts them.
"""

from collections.abc import Mapping
from typing import Any

from django.db import connection
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from backoffice.rows import columns, key, placeholders, table
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
    expired link took) records nothing, so it holds nothing.

    The query is SQL written once (`backoffice.rows`), as
    `ProviderCall.objects.filter(wanted, order=order).values(…)` reads it: every operation
    recorded asks, and compiling the queryset cost more than running it."""
    call, session = columns(ProviderCall, "p", connection), table(PaymentSession, connection)
    wanted, params = _WANTED[kind if kind == OperationKind.AUTHORIZATION or kind is None else "calls"]
    sql = (
        f"SELECT {call.select}, s.status FROM {table(ProviderCall, connection)} p"
        f" LEFT JOIN {session} s ON s.id = p.session_id WHERE p.order_id = %s AND ({wanted})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [key(Order, order.pk, connection), *params])
        rows = cursor.fetchall()
    holds: list[Hold] = []
    for row in rows:
        found, session_status = call.instance(row, 0, connection), row[call.width]
        if found.kind == CallKind.SESSION:
            holds += _link_holds(found.session_id, session_status, found.items)
        else:
            holds += _call_holds(
                {
                    "pk": found.pk,
                    "kind": found.kind,
                    "state": found.state,
                    "provider": found.provider,
                    "payment_id": found.payment_id,
                    "items": found.items,
                }
            )
    return holds


# Calls under way that record an operation once confirmed (not those about a link), and the
# link request of each payable link.
_CALLS = (
    f"(p.state IN ({placeholders(len(IN_FLIGHT))}) AND p.kind IN ({placeholders(len(OPERATION_KIND))})"
    " AND p.session_id IS NULL)",
    [*map(str, IN_FLIGHT), *map(str, OPERATION_KIND)],
)
_LINKS = (
    f"(p.kind = %s AND s.status IN ({placeholders(len(PAYABLE))}))",
    [str(CallKind.SESSION), *map(str, PAYABLE)],
)
_WANTED: dict[Any, tuple[str, list[str]]] = {
    None: (f"{_CALLS[0]} OR {_LINKS[0]}", _CALLS[1] + _LINKS[1]),
    OperationKind.AUTHORIZATION: _LINKS,
    "calls": _CALLS,
}
