"""Captures, refunds and voids at Dintero are confirmed by the transaction's own word: the
event whose `event_reference` is the call's reference, or the event completing the request
Dintero accepted with a 202 (its `event-request-id`). Never by the amount."""

from datetime import timedelta

import httpx
import pytest

from orders.holds import held_by_line, order_holds
from orders.models import OperationKind, PaymentOperation
from payments.items import ItemAmount
from payments.models import CallKind, CallState, ProviderCall
from payments.services.calls import provider_action
from payments.services.reconcile import reconcile
from payments.services.sessions import session_authorize, session_create
from tests.support.orders import make_order

from .helpers import STAFF


def _authorized(emulator, account):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF)
    tid = emulator.pay(session.session_id)
    session_authorize(session=session, actor=STAFF, transaction_id=tid)
    return order, tid


def _captured(emulator, account):
    order, tid = _authorized(emulator, account)
    [capture] = provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert capture.state == CallState.SUCCEEDED
    return order, tid


def _recorded(order, tid) -> dict[str, int]:
    def total(kind):
        ops = PaymentOperation.objects.filter(order=order, payment_id=tid, kind=kind, success=True)
        return sum(op.amount for op in ops)

    return {
        "authorized": total(OperationKind.AUTHORIZATION) - total(OperationKind.CANCELLATION),
        "captured": total(OperationKind.CAPTURE),
        "refunded": total(OperationKind.REFUND),
    }


def _act(order, operation: str, amount: int | None = None) -> ProviderCall:
    kind = {"capture": CallKind.CAPTURE, "refund": CallKind.REFUND, "void": CallKind.VOID}[operation]
    items = [ItemAmount(line_id=1, amount=amount)] if amount else None
    [call] = provider_action(order=order, kind=kind, items=items, actor=STAFF)
    return call


def _events(emulator, tid, name):
    return [e for e in emulator.transactions[tid]["events"] if e["event"] == name]


@pytest.mark.parametrize("operation", ["capture", "refund"])
def test_a_200_is_confirmed_by_the_event_reference(emulator, account, operation):
    order, tid = _captured(emulator, account) if operation == "refund" else _authorized(emulator, account)
    call = _act(order, operation)
    assert call.state == CallState.SUCCEEDED, call.error
    assert call.settled_by == "response"
    [event] = _events(emulator, tid, operation.upper())
    # Dintero's field; the request's own field name is not on the event.
    assert event["event_reference"] == str(call.id)
    assert f"{operation}_reference" not in event
    assert _recorded(order, tid) == emulator.figures(tid)


@pytest.mark.parametrize("operation", ["capture", "refund"])
def test_a_202_shown_on_the_read_back_is_confirmed_at_once(emulator, account, operation):
    order, tid = _captured(emulator, account) if operation == "refund" else _authorized(emulator, account)
    emulator.accept_later(operation, after_reads=0)
    call = _act(order, operation)
    assert call.state == CallState.SUCCEEDED, call.error
    initiated, completed = (
        e for e in emulator.transactions[tid]["events"] if e["event"].endswith(operation.upper())
    )
    assert initiated["event"] == f"INITIATE_{operation.upper()}"
    assert completed["correlation_request_id"] == initiated["request_id"]
    posts = [r for r in emulator.requests if r.url.path.endswith(f"/{operation}")]
    assert len(posts) == 1
    assert _recorded(order, tid) == emulator.figures(tid)


@pytest.mark.parametrize("operation", ["capture", "refund"])
def test_a_202_not_done_yet_is_unknown_until_reconciliation_finds_its_event(emulator, account, operation):
    order, tid = _captured(emulator, account) if operation == "refund" else _authorized(emulator, account)
    emulator.accept_later(operation, after_reads=1)
    call = _act(order, operation)

    assert call.state == CallState.UNKNOWN
    assert call.response_status == 202
    [initiated] = _events(emulator, tid, f"INITIATE_{operation.upper()}")
    assert call.response_body == {"event-request-id": initiated["request_id"]}
    kind = OperationKind.CAPTURE if operation == "capture" else OperationKind.REFUND
    assert held_by_line(order_holds(order), kind) == {1: 39800}  # held, not lost

    report = reconcile(min_age=timedelta(0))

    call.refresh_from_db()
    assert call.state == CallState.SUCCEEDED and call.settled_by == "reconcile"
    assert call.operation.amount == 39800
    assert not report.needs_person, report.findings
    assert _recorded(order, tid) == emulator.figures(tid)


def test_a_202_still_processing_stays_unknown_and_is_never_failed(emulator, account):
    order, tid = _authorized(emulator, account)
    emulator.accept_later("capture")  # finishes only when told
    call = _act(order, "capture")
    assert call.state == CallState.UNKNOWN

    first = reconcile(min_age=timedelta(0))
    call.refresh_from_db()
    assert call.state == CallState.UNKNOWN  # the provider still works on it: not "never done"
    assert first.needs_person  # reported while it lasts
    assert held_by_line(order_holds(order), OperationKind.CAPTURE) == {1: 39800}

    emulator.complete_pending()
    second = reconcile(min_age=timedelta(0))
    call.refresh_from_db()
    assert call.state == CallState.SUCCEEDED
    assert not second.needs_person, second.findings
    assert _recorded(order, tid) == emulator.figures(tid)


def test_a_202_that_fails_later_is_failed_and_frees_its_amount(emulator, account):
    order, tid = _authorized(emulator, account)
    emulator.accept_later("capture", after_reads=1, succeed=False)
    call = _act(order, "capture")
    assert call.state == CallState.UNKNOWN

    report = reconcile(min_age=timedelta(0))

    call.refresh_from_db()
    assert call.state == CallState.FAILED
    assert "refused by the acquirer" in call.error
    assert not report.needs_person, report.findings
    assert held_by_line(order_holds(order), OperationKind.CAPTURE) == {}
    assert (
        _recorded(order, tid) == emulator.figures(tid) == {"authorized": 39800, "captured": 0, "refunded": 0}
    )


def test_a_202_read_back_showing_it_failed_is_declined(emulator, account):
    order, _tid = _authorized(emulator, account)
    emulator.accept_later("capture", after_reads=0, succeed=False)
    call = _act(order, "capture")
    assert call.state == CallState.FAILED
    assert call.error == "Dintero reports the capture as failed: refused by the acquirer"


def test_a_completing_event_without_reference_is_found_by_its_correlation(emulator, account):
    order, tid = _authorized(emulator, account)
    emulator.reference_on_completion = False
    emulator.accept_later("capture", after_reads=1)
    call = _act(order, "capture")
    assert call.state == CallState.UNKNOWN

    reconcile(min_age=timedelta(0))

    call.refresh_from_db()
    assert call.state == CallState.SUCCEEDED
    [completed] = _events(emulator, tid, "CAPTURE")
    assert "event_reference" not in completed


def test_a_202_void_is_confirmed_by_the_event_completing_it(emulator, account):
    order, tid = _authorized(emulator, account)
    emulator.accept_later("void", after_reads=1)
    call = _act(order, "void")
    assert call.state == CallState.UNKNOWN

    reconcile(min_age=timedelta(0))

    call.refresh_from_db()
    assert call.state == CallState.SUCCEEDED
    assert emulator.transactions[tid]["status"] == "AUTHORIZATION_VOIDED"
    assert _recorded(order, tid) == emulator.figures(tid) == {"authorized": 0, "captured": 0, "refunded": 0}


def test_two_captures_of_the_same_amount_are_each_confirmed_by_their_own_reference(emulator, account):
    order, tid = _authorized(emulator, account)
    first = _act(order, "capture", 10000)
    second = _act(order, "capture", 10000)
    assert first.state == second.state == CallState.SUCCEEDED
    assert [e["event_reference"] for e in _events(emulator, tid, "CAPTURE")] == [
        str(first.id),
        str(second.id),
    ]
    assert first.operation != second.operation
    assert _recorded(order, tid)["captured"] == 20000 == emulator.figures(tid)["captured"]


def test_an_equal_capture_finishing_last_is_not_taken_for_ours(emulator, account):
    """A capture Dintero accepted (202) finishes just after a second one of the same amount
    is done: the answer to the second lists the first one's event last. The "latest capture of
    this amount" would have been the wrong one; each is confirmed by its own reference."""
    order, tid = _authorized(emulator, account)
    emulator.accept_later("capture")
    pending = _act(order, "capture", 10000)
    assert pending.state == CallState.UNKNOWN
    emulator.answer_now()
    original = emulator.handle

    def handle(request):
        response = original(request)
        if request.method == "POST" and request.url.path.endswith("/capture"):
            emulator.complete_pending()
            return httpx.Response(200, json=emulator.transactions[tid])
        return response

    emulator.handle = handle
    direct = _act(order, "capture", 10000)

    assert direct.state == CallState.SUCCEEDED
    captures = _events(emulator, tid, "CAPTURE")
    assert [e["event_reference"] for e in captures] == [str(direct.id), str(pending.id)]
    pending.refresh_from_db()
    assert pending.state == CallState.UNKNOWN  # not settled by the other's answer

    emulator.handle = original
    report = reconcile(min_age=timedelta(0))
    pending.refresh_from_db()
    assert pending.state == CallState.SUCCEEDED
    assert not report.needs_person, report.findings
    assert _recorded(order, tid)["captured"] == 20000 == emulator.figures(tid)["captured"]


def test_of_two_equal_captures_under_way_only_the_finished_one_is_settled(emulator, account):
    order, tid = _authorized(emulator, account)
    emulator.accept_later("capture")
    first = _act(order, "capture", 10000)
    second = _act(order, "capture", 10000)
    assert first.state == second.state == CallState.UNKNOWN

    emulator.complete_pending(reference=str(second.id))
    reconcile(min_age=timedelta(0))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (CallState.UNKNOWN, CallState.SUCCEEDED)

    emulator.complete_pending()
    report = reconcile(min_age=timedelta(0))
    first.refresh_from_db()
    assert first.state == CallState.SUCCEEDED
    assert not report.needs_person, report.findings
    assert _recorded(order, tid)["captured"] == 20000 == emulator.figures(tid)["captured"]


def test_an_answer_without_any_references_is_matched_only_when_unambiguous(emulator, account):
    """Older answers carry no reference on events: one event of exactly our amount and items
    is ours; two alike are left to a person, never guessed."""
    order, _tid = _authorized(emulator, account)
    original = emulator.handle

    def without_references(request):
        response = original(request)
        if request.url.path.startswith("/v1/transactions/") and response.status_code == 200:
            body = response.json()
            for event in body["events"]:
                event.pop("event_reference", None)
            return httpx.Response(200, json=body)
        return response

    emulator.handle = without_references
    first = _act(order, "capture", 10000)
    second = _act(order, "capture", 10000)

    assert first.state == CallState.SUCCEEDED
    assert second.state == CallState.UNKNOWN
    report = reconcile(min_age=timedelta(0))
    second.refresh_from_db()
    assert second.state == CallState.UNKNOWN and report.needs_person
