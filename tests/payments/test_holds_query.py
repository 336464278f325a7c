"""The holds' query, written as SQL (`payments.holds.payment_holds`), finds exactly what its
queryset found: every kind and state of call, with and without a link, every link status, for
each kind of operation asked about."""

import itertools

import pytest
from django.db.models import Q

from orders.models import OperationKind
from payments.holds import OPERATION_KIND, _call_holds, _link_holds, payment_holds
from payments.models import (
    IN_FLIGHT,
    PAYABLE,
    CallKind,
    CallState,
    PaymentSession,
    ProviderCall,
    SessionStatus,
)
from tests.support.orders import item, make_order


def _as_the_queryset_found(order, kind):
    calls = Q(state__in=IN_FLIGHT, kind__in=list(OPERATION_KIND), session__isnull=True)
    links = Q(kind=CallKind.SESSION, session__status__in=PAYABLE)
    wanted = {None: calls | links, OperationKind.AUTHORIZATION: links}.get(kind, calls)
    rows = ProviderCall.objects.filter(wanted, order=order).values(
        "pk", "kind", "state", "provider", "payment_id", "items", "session_id", "session__status"
    )
    holds = []
    for row in rows:
        if row["kind"] == CallKind.SESSION:
            holds += _link_holds(row["session_id"], row["session__status"], row["items"])
        else:
            holds += _call_holds(row)
    return holds


def _key(hold):
    return (hold.ref, hold.kind, hold.line_id, hold.amount, hold.payment_id, str(hold.what))


@pytest.mark.parametrize("kind", [None, *OperationKind])
def test_the_holds_are_those_the_queryset_found(account, other_account, kind):
    order, elsewhere = (
        make_order(account, [item(1, 9000), item(2, 900)]),
        make_order(other_account, [item(1, 50)]),
    )
    items = [{"line_id": 1, "amount": 300}, {"line_id": 2, "amount": 20}]
    sessions = [
        PaymentSession.objects.create(
            order=order, provider="sandbox", status=status, items=items, amount=320, currency="NOK"
        )
        for status in SessionStatus
    ]
    for call_kind, state, session in itertools.product(CallKind, CallState, [None, *sessions]):
        if state == CallState.SUCCEEDED:
            continue  # a succeeded call holds nothing and may carry its operation
        ProviderCall.objects.create(
            order=order,
            provider="sandbox",
            kind=call_kind,
            state=state,
            session=session,
            items=items,
            payment_id=f"P-{call_kind}-{state}",
        )
    ProviderCall.objects.create(
        order=elsewhere, provider="sandbox", kind=CallKind.CAPTURE, state=CallState.UNKNOWN
    )
    found = sorted(map(_key, payment_holds(order, kind)))
    assert found == sorted(map(_key, _as_the_queryset_found(order, kind)))
    assert found  # every kind asked about has something held
