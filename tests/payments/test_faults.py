"""Fault injection for capture, refund and void against the Dintero emulator: every fault ends
in the right call state with nothing recorded twice or lost, and reconciliation settles every
unknown call from the provider's transaction."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.holds import held_by_line, order_holds
from orders.models import OperationKind, PaymentOperation
from payments.holds import OPERATION_KIND
from payments.models import CallKind, CallState, Mismatch, MismatchKind, ProviderCall
from payments.services.calls import provider_action
from payments.services.reconcile import reconcile
from payments.services.sessions import session_authorize, session_create
from tests.support.orders import make_order, record

from .helpers import STAFF

# fault -> (state right after the call, whether the emulator applied it)
EXPECTED = {
    "connect_error": (CallState.FAILED, False),
    "connect_timeout": (CallState.FAILED, False),
    "read_timeout": (CallState.UNKNOWN, True),
    "reset": (CallState.UNKNOWN, True),
    500: (CallState.UNKNOWN, False),
    502: (CallState.UNKNOWN, True),
    503: (CallState.UNKNOWN, False),
    429: (CallState.FAILED, False),
    400: (CallState.FAILED, False),
    "malformed": (CallState.UNKNOWN, True),
}
OPERATIONS = {
    "capture": (CallKind.CAPTURE, OperationKind.CAPTURE),
    "refund": (CallKind.REFUND, OperationKind.REFUND),
    "void": (CallKind.VOID, OperationKind.CANCELLATION),
}


def _authorized(emulator, account):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF)
    tid = emulator.pay(session.session_id)
    session_authorize(session=session, actor=STAFF, transaction_id=tid)
    return order, tid


def _recorded(order, tid) -> dict[str, int]:
    def total(kind):
        return sum(
            op.amount
            for op in PaymentOperation.objects.filter(order=order, payment_id=tid, kind=kind, success=True)
        )

    return {
        "authorized": total(OperationKind.AUTHORIZATION) - total(OperationKind.CANCELLATION),
        "captured": total(OperationKind.CAPTURE),
        "refunded": total(OperationKind.REFUND),
    }


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("fault", list(EXPECTED), ids=str)
def test_fault_then_reconcile(emulator, account, operation, fault):
    kind, op_kind = OPERATIONS[operation]
    order, tid = _authorized(emulator, account)
    if operation == "refund":
        [capture] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
        assert capture.state == CallState.SUCCEEDED
    before = PaymentOperation.objects.filter(kind=op_kind).count()
    emulator.fault(operation, fault)

    [call] = provider_action(order=order, kind=kind, items=None, actor=STAFF)

    state, applied = EXPECTED[fault]
    assert call.state == state, call.error
    assert call.error
    assert PaymentOperation.objects.filter(kind=op_kind).count() == before  # nothing recorded yet
    after_call = emulator.figures(tid)
    if state == CallState.UNKNOWN:
        # The unknown call holds its amount: a second try is refused, not sent.
        assert held_by_line(order_holds(order), OPERATION_KIND[kind]) == {1: 39800}
        with pytest.raises(Exception, match=r"nothing|under way"):
            provider_action(order=order, kind=kind, items=None, actor=STAFF)
    assert emulator.figures(tid) == after_call

    report = reconcile(min_age=timedelta(0))
    call.refresh_from_db()
    assert not call.in_flight
    assert call.state == (CallState.SUCCEEDED if applied else CallState.FAILED)
    recorded_now = PaymentOperation.objects.filter(kind=op_kind).count()
    assert recorded_now == before + (1 if applied else 0)
    assert _recorded(order, tid) == emulator.figures(tid)
    assert not report.needs_person, report.findings
    order.refresh_from_db()
    assert order.events.filter(kind="provider_call", data__call_id=str(call.id)).count() >= 2

    # A second run finds nothing to do and records nothing more.
    again = reconcile(min_age=timedelta(0))
    assert again.settled == [] and not again.needs_person
    assert PaymentOperation.objects.filter(kind=op_kind).count() == recorded_now


@pytest.mark.parametrize("fault", ["connect_error", 429, 400])
def test_failed_call_can_simply_be_retried(emulator, account, fault):
    order, tid = _authorized(emulator, account)
    emulator.fault("capture", fault)
    [failed] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    [retried] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert (failed.state, retried.state) == (CallState.FAILED, CallState.SUCCEEDED)
    assert emulator.figures(tid)["captured"] == 39800 == _recorded(order, tid)["captured"]


def test_reconcile_command_exits_non_zero_while_the_provider_cannot_be_read(emulator, account):
    order, _tid = _authorized(emulator, account)
    emulator.fault("capture", "read_timeout")
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    original = emulator.handle

    def down(request):
        if request.method == "GET":
            return emu_error_503()
        return original(request)

    emulator.handle = down
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("reconcile", "--min-age=0", "--no-progress", stdout=out)
    assert exc.value.returncode == 1
    assert "Provider call still unknown" in out.getvalue()
    assert Mismatch.objects.filter(kind=MismatchKind.UNKNOWN_CALL, resolved_at__isnull=True).count() == 1
    call.refresh_from_db()
    assert call.state == CallState.UNKNOWN

    emulator.handle = original
    out = StringIO()
    call_command("reconcile", "--min-age=0", stdout=out, stderr=StringIO())
    assert "The books match the provider." in out.getvalue()
    call.refresh_from_db()
    assert call.state == CallState.SUCCEEDED
    assert not Mismatch.objects.filter(resolved_at__isnull=True).exists()


def test_reconcile_reports_books_that_disagree(emulator, account):
    order, tid = _authorized(emulator, account)
    # Someone records a capture by hand that never happened at the provider.
    record(order, "capture", [(1, 10000)], payment_id=tid)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile", "--min-age=0", "--no-progress", stdout=out)
    table = out.getvalue()
    assert "Captured differs" in table and tid in table and "10000" in table
    mismatch = Mismatch.objects.get(kind=MismatchKind.CAPTURED)
    assert (mismatch.recorded, mismatch.at_provider, mismatch.order) == (10000, 0, order)


def test_calls_younger_than_min_age_are_left_alone(emulator, account):
    order, _tid = _authorized(emulator, account)
    emulator.fault("capture", "reset")
    [call] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    reconcile(min_age=timedelta(minutes=5))
    call.refresh_from_db()
    assert call.state == CallState.UNKNOWN
    assert ProviderCall.objects.filter(state=CallState.UNKNOWN).count() == 1


def emu_error_503():
    from .dintero_emulator import error

    return error(503, "unavailable", "down for maintenance")
