"""The seeds' checkout flow through the sandbox provider, at the service level."""

import pytest

from backoffice.errors import Conflict
from orders.models import OperationKind, PaymentOperation, PaymentStatus
from payments.items import ItemAmount
from payments.models import CallKind, CallState, ProviderCall, SandboxFault, SessionStatus
from payments.services.calls import provider_action
from tests.support.orders import item, make_order, record

from .helpers import STAFF, sandbox_paid


@pytest.fixture
def order(account):
    return make_order(account)


def test_link_pay_capture_refund(order):
    session = sandbox_paid(order)
    assert session.status == SessionStatus.AUTHORIZED
    assert session.url.startswith("http://testserver/payments/sandbox/")
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED
    assert session.authorization.payment_id == session.transaction_id

    [capture] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert capture.state == CallState.SUCCEEDED
    assert capture.operation.kind == OperationKind.CAPTURE
    assert capture.operation.payment_id == session.transaction_id
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CAPTURED

    [refund] = provider_action(
        order=order, kind=CallKind.REFUND, items=[ItemAmount(line_id=1, amount=10000)], actor=STAFF
    )
    assert refund.state == CallState.SUCCEEDED
    order.refresh_from_db()
    assert (order.refunded_amount, order.payment_status) == (10000, PaymentStatus.PARTIALLY_REFUNDED)
    kinds = list(order.events.filter(kind="provider_call").values_list("summary", flat=True))
    assert any("Capture" in s and "succeeded" in s for s in kinds)


def test_capture_more_than_authorized_is_a_conflict_and_sends_nothing(order):
    sandbox_paid(order)
    with pytest.raises(Conflict, match="line 1: capture 40000 exceeds the capturable at the provider 39800"):
        provider_action(
            order=order, kind=CallKind.CAPTURE, items=[ItemAmount(line_id=1, amount=40000)], actor=STAFF
        )
    assert not ProviderCall.objects.filter(kind=CallKind.CAPTURE).exists()


def test_payment_ids_recorded_by_hand_are_not_sent_to_the_sandbox(order):
    record(order, "authorization", [(1, 39800)], payment_id="PID_123")
    with pytest.raises(Conflict, match="nothing to capture"):
        provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)


def test_void_cancels_the_uncaptured_authorization(order):
    sandbox_paid(order)
    [call] = provider_action(order=order, kind=CallKind.VOID, items=None, actor=STAFF)
    assert call.state == CallState.SUCCEEDED
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CANCELLED
    assert call.operation.kind == OperationKind.CANCELLATION


def test_declined_capture_records_nothing(order):
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="decline")
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.FAILED
    assert "declined" in call.error
    assert not PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).exists()


def test_timeout_holds_the_amount_until_reconciled(order):
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="timeout")
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.UNKNOWN
    order.refresh_from_db()
    assert order.captured_amount == 0
    # The unknown call holds what it may have captured.
    with pytest.raises(Conflict, match="nothing to capture"):
        provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)


def test_second_payment_link_for_the_price_difference(account):
    order = make_order(account, items=[item(1, 39800), item(2, 10000)])
    first = sandbox_paid(order, items=[ItemAmount(line_id=1, amount=39800)])
    second = sandbox_paid(order)
    assert second.items == [{"line_id": 2, "amount": 10000}]
    assert first.transaction_id != second.transaction_id
    calls = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert sorted(c.payment_id for c in calls) == sorted([first.transaction_id, second.transaction_id])
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CAPTURED
