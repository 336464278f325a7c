from datetime import timedelta

import pytest
from django.db import transaction

from orders.models import OperationKind, PaymentOperation, PaymentStatus
from payments.models import CallKind, CallState, ProviderCall, SessionStatus
from payments.sandbox.gateway import SandboxGateway
from payments.services.calls import provider_action
from payments.services.reconcile import reconcile
from payments.services.sessions import session_create
from tests.support.factories import AccountFactory
from tests.support.orders import make_order
from tests.support.threads import at_once

from .helpers import BASE, STAFF, sandbox_paid


def test_reconcile_picks_up_a_link_paid_without_callback(account):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF)
    SandboxGateway(BASE).session_pay(session.session_id)  # the callback never arrives
    report = reconcile(min_age=timedelta(0))
    session.refresh_from_db()
    assert session.status == SessionStatus.AUTHORIZED
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED
    assert not report.needs_person


def test_sandbox_timeout_without_effect_settles_as_failed(account):
    from payments.models import SandboxFault

    order = make_order(account)
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="timeout_undone")
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.UNKNOWN
    reconcile(min_age=timedelta(0))
    call.refresh_from_db()
    assert call.state == CallState.FAILED
    [retry] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert retry.state == CallState.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_provider_calls_refuse_to_run_inside_a_transaction(roles):
    account = AccountFactory(aid="T12340001")
    order = make_order(account)
    sandbox_paid(order)
    with pytest.raises(RuntimeError, match="inside a database transaction"), transaction.atomic():
        provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert not ProviderCall.objects.filter(kind=CallKind.CAPTURE).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_captures_capture_once():
    account = AccountFactory(aid="T12340002")
    order = make_order(account)
    sandbox_paid(order)

    def capture(_: int) -> list[str]:
        calls = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
        return [str(c.state) for c in calls]

    outcomes = [
        type(o).__name__ if isinstance(o, Exception) else o for o in at_once(5, capture, errors="return")
    ]
    assert sorted(map(str, outcomes)) == sorted(["['succeeded']"] + ["Conflict"] * 4)
    assert PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).count() == 1
    order.refresh_from_db()
    assert order.captured_amount == 39800
