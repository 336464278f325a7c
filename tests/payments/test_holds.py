"""Holds on every path: what provider calls under way and payable links may still take counts
as taken for every operation that could collide with them, however it arrives."""

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client

from orders.models import Event, OperationKind, OrderStatus, PaymentOperation
from orders.services.operations import order_cancel
from payments.apps import sandbox_in_production
from payments.gateways.base import OutcomeUnknown
from payments.models import (
    CallKind,
    CallState,
    PaymentSession,
    ProviderCall,
    SandboxFault,
    SandboxSession,
    SandboxTransaction,
    SessionStatus,
)
from payments.sandbox.gateway import SandboxGateway
from payments.services.calls import provider_action
from payments.services.reconcile import reconcile
from payments.services.sessions import links_expire_at_provider, session_authorize, session_create
from tests.support.factories import UserFactory
from tests.support.orders import item, make_order

from .helpers import BASE, STAFF, sandbox_paid


@pytest.fixture
def order(account):
    return make_order(account, [item(1, 10000)])


def _api_post(api, path, body=None):
    return api.post(f"/v1/accounts/{api.aid}/{path}", body or {}, format="json")


def _unknown_call(order, kind: CallKind) -> ProviderCall:
    SandboxFault.objects.create(account=order.account.aid, kind=kind.value, outcome="timeout")
    [call] = provider_action(order=order, kind=kind, items=None, actor=STAFF)
    assert call.state == CallState.UNKNOWN
    return call


def _nothing_recorded_since(before: int) -> None:
    assert PaymentOperation.objects.count() == before


# Payment links


def test_two_overlapping_links_are_refused(api, order):
    first = _api_post(
        api, f"payments/orders/{order.order_id}/sessions", {"items": [{"line_id": 1, "amount": 6000}]}
    )
    assert first.status_code == 201, first.content
    second = _api_post(
        api, f"payments/orders/{order.order_id}/sessions", {"items": [{"line_id": 1, "amount": 7000}]}
    )
    assert second.status_code == 409, second.content
    error = second.json()["error"]
    assert error["code"] == "ledger_conflict"
    link = first.json()["session"]["id"]
    assert "exceeds the remaining to authorize 4000" in error["message"]
    assert f"payment link {link[:8]} (open) holds 6000" in error["message"]
    assert PaymentSession.objects.filter(order=order).count() == 1
    # What is left beyond the first link can still get a link of its own.
    rest = _api_post(
        api, f"payments/orders/{order.order_id}/sessions", {"items": [{"line_id": 1, "amount": 4000}]}
    )
    assert rest.status_code == 201, rest.content
    assert _api_post(api, f"payments/orders/{order.order_id}/sessions").status_code == 409


def test_the_same_link_is_answered_again(api, order):
    first = _api_post(api, f"payments/orders/{order.order_id}/sessions")
    again = _api_post(api, f"payments/orders/{order.order_id}/sessions")
    assert first.status_code == 201 and again.status_code in (200, 201)
    assert first.json()["session"]["id"] == again.json()["session"]["id"]


def test_a_payable_link_holds_against_recorded_authorizations(api, order):
    session = session_create(order=order, actor=STAFF)
    before = PaymentOperation.objects.count()
    body = {"items": [{"line_id": 1, "amount": 10000}], "payment_details": {"payment_id": "P1"}}
    response = api.call("post", f"orders/{order.order_id}/authorizations", body)
    assert response.status_code == 409, response.content
    assert f"payment link {str(session.pk)[:8]} (open) holds 10000" in response.json()["error"]["message"]
    _nothing_recorded_since(before)
    # Paying the link itself is not held against itself.
    txn = SandboxGateway(BASE).session_pay(session.session_id)
    session = session_authorize(session=session, actor=STAFF, transaction_id=txn.id)
    assert session.status == SessionStatus.AUTHORIZED


def test_links_are_built_from_the_public_url_not_the_host_header(api, order, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.PUBLIC_URL = "https://backoffice.example.com"
    response = api.post(
        f"/v1/accounts/{api.aid}/payments/orders/{order.order_id}/sessions",
        {},
        format="json",
        HTTP_HOST="evil.example",
    )
    assert response.status_code == 201, response.content
    assert response.json()["session"]["url"].startswith("https://backoffice.example.com/payments/sandbox/")
    sandbox = SandboxSession.objects.get()
    assert sandbox.callback_url.startswith("https://backoffice.example.com/payments/callback/")
    assert sandbox.return_url.startswith("https://backoffice.example.com/payments/return/")


# Cancelling an order


def test_cancel_is_refused_while_a_capture_is_unknown(api, order):
    sandbox_paid(order)
    call = _unknown_call(order, CallKind.CAPTURE)
    response = api.call("post", f"orders/{order.order_id}/cancel", {})
    assert response.status_code == 409, response.content
    message = response.json()["error"]["message"]
    assert f"capture call {str(call.pk)[:8]}" in message and "holds 10000" in message
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED and order.cancelled_amount == 0
    # Once reconciliation finds the capture done, cancelling is a ledger conflict as ever.
    reconcile(min_age=timedelta(0))
    order.refresh_from_db()
    assert order.captured_amount == 10000
    assert api.call("post", f"orders/{order.order_id}/cancel", {}).status_code == 409


def test_staff_are_not_offered_cancel_during_an_unknown_capture(login, order):
    sandbox_paid(order)
    call = _unknown_call(order, CallKind.CAPTURE)
    client = login("Administrator")
    page = client.get(f"/{order.account.aid}/orders/{order.order_id}/").content.decode()
    assert "Cancel order" not in page
    assert f"capture call {str(call.pk)[:8]}" in page and "held at the provider" in page
    response = client.post(f"/{order.account.aid}/orders/{order.order_id}/cancel/", {"reason": "x"})
    assert response.status_code == 422
    assert "cannot be cancelled while calls are under way" in response.content.decode()
    order.refresh_from_db()
    assert order.status != OrderStatus.CANCELLED


def test_cancelling_expires_the_orders_links(api, order, client, django_capture_on_commit_callbacks):
    session = session_create(order=order, actor=STAFF)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call("post", f"orders/{order.order_id}/cancel", {})
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert session.status == SessionStatus.EXPIRED and session.expired_at_provider is not None
    assert SandboxSession.objects.get(pk=session.session_id).cancelled_at is not None
    assert ProviderCall.objects.get(session=session, kind=CallKind.EXPIRE).state == CallState.SUCCEEDED
    # The customer opens the link: it takes no payment.
    page = client.get(f"/payments/sandbox/{session.session_id}")
    assert page.status_code == 410 and "expired" in page.content.decode()
    assert client.post(f"/payments/sandbox/{session.session_id}", {"action": "pay"}).status_code == 410
    assert not SandboxTransaction.objects.exists()
    assert Event.objects.filter(order=order, summary__contains="expired: the order was cancelled").exists()
    order.refresh_from_db()
    assert order.authorized_amount == 0


def test_a_link_paid_while_the_order_was_cancelled_is_voided(api, order, client, monkeypatch):
    """The cancel reaches the provider only after the customer paid: nothing is recorded and
    what the provider authorized is given back, with an event."""
    session = session_create(order=order, actor=STAFF)
    txn = SandboxGateway(BASE).session_pay(session.session_id)  # paid, callback not yet arrived
    # on_commit does not run in this test's transaction: the provider has not heard of the cancel.
    assert api.call("post", f"orders/{order.order_id}/cancel", {}).status_code == 200
    response = client.get(f"/payments/callback/{session.pk}?transaction_id={txn.id}")
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.status == SessionStatus.EXPIRED and session.authorization is None
    assert SandboxTransaction.objects.get(pk=txn.id).status == "AUTHORIZATION_VOIDED"
    void = ProviderCall.objects.get(session=session, kind=CallKind.VOID)
    assert void.state == CallState.SUCCEEDED and void.operation is None
    order.refresh_from_db()
    assert order.authorized_amount == 0 and order.cancelled_amount == 0
    assert Event.objects.filter(order=order, summary__contains="expired link").exists()


def test_reconciliation_voids_what_an_expired_link_took(api, order, monkeypatch):
    session = session_create(order=order, actor=STAFF)

    def no_answer(self, session_id):
        raise OutcomeUnknown("no answer")

    monkeypatch.setattr(SandboxGateway, "session_cancel", no_answer)
    with transaction.atomic():
        order_cancel(order=order, actor=STAFF)
    links_expire_at_provider([session], actor=STAFF)  # the provider did not answer
    assert ProviderCall.objects.get(session=session, kind=CallKind.EXPIRE).state == CallState.UNKNOWN
    txn = SandboxGateway(BASE).session_pay(session.session_id)  # so the customer could still pay
    monkeypatch.undo()

    report = reconcile(min_age=timedelta(0))
    assert SandboxTransaction.objects.get(pk=txn.id).status == "AUTHORIZATION_VOIDED"
    session.refresh_from_db()
    assert session.expired_at_provider is not None and session.authorization is None
    order.refresh_from_db()
    assert order.authorized_amount == 0
    assert not [f for f in report.findings if f.kind != "unknown_call"], report.findings


def test_staff_withdraw_a_link_and_send_another(login, order):
    client = login("Customer service")
    session = session_create(order=order, actor=STAFF)
    payments = f"/{order.account.aid}/orders/{order.order_id}/payments/"
    panel = client.get(payments).content.decode()
    token = re.search(r'links/[^"]+/withdraw".*?name="form_token" value="([^"]+)"', panel, re.S).group(1)
    response = client.post(f"{payments}links/{session.pk}/withdraw", {"form_token": token})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == SessionStatus.EXPIRED
    assert SandboxSession.objects.get(pk=session.session_id).cancelled_at is not None
    fresh = session_create(order=order, actor=STAFF)
    assert fresh.pk != session.pk and fresh.status == SessionStatus.OPEN


# Recorded operations against calls under way


@pytest.mark.parametrize(
    ("call_kind", "path", "op_kind"),
    [
        (CallKind.CAPTURE, "captures", OperationKind.CAPTURE),
        (CallKind.CAPTURE, "cancellations", OperationKind.CANCELLATION),
        (CallKind.VOID, "captures", OperationKind.CAPTURE),
        (CallKind.REFUND, "refunds", OperationKind.REFUND),
    ],
)
def test_recording_a_held_amount_through_the_api_is_refused(api, order, call_kind, path, op_kind):
    sandbox_paid(order)
    tid = PaymentSession.objects.get(order=order).transaction_id
    if call_kind == CallKind.REFUND:
        provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    call = _unknown_call(order, call_kind)
    before = PaymentOperation.objects.count()
    body = {"items": [{"line_id": 1, "amount": 10000}], "payment_details": {"payment_id": tid}}
    response = api.call("post", f"orders/{order.order_id}/{path}", body)
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "ledger_conflict"
    assert f"call {str(call.pk)[:8]}" in error["message"] and "holds 10000" in error["message"]
    _nothing_recorded_since(before)
    assert PaymentOperation.objects.filter(kind=op_kind).count() == (
        1 if op_kind == OperationKind.CAPTURE and call_kind == CallKind.REFUND else 0
    )


@pytest.mark.parametrize(
    ("call_kind", "action", "role"),
    [
        (CallKind.CAPTURE, "capture", "Customer service"),
        (CallKind.CAPTURE, "cancellation", "Customer service"),
        (CallKind.REFUND, "refund", "Finance"),
    ],
)
def test_staff_forms_do_not_offer_or_record_a_held_amount(login, order, call_kind, action, role):
    sandbox_paid(order)
    tid = PaymentSession.objects.get(order=order).transaction_id
    if call_kind == CallKind.REFUND:
        provider_action(order=order, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    _unknown_call(order, call_kind)
    client = login(role)
    url = f"/{order.account.aid}/orders/{order.order_id}/{action}/"
    page = client.get(url).content.decode()
    assert 'name="line_1"' not in page  # nothing left to offer on the line
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    before = PaymentOperation.objects.count()
    response = client.post(url, {"form_token": token, "payment_id": tid, "line_1": "100,00"})
    assert response.status_code == 422
    _nothing_recorded_since(before)


# The sandbox keeps accounts apart


def test_a_sandbox_fault_of_one_account_never_reaches_another(account, other_account, staff, roles):
    mine, theirs = make_order(account), make_order(other_account)
    sandbox_paid(mine)
    sandbox_paid(theirs)
    other_staff = UserFactory(username="other-cs", role="Customer service", accounts=[other_account])
    client = Client()
    client.force_login(other_staff)
    payments = f"/{other_account.aid}/orders/{theirs.order_id}/payments/"
    panel = client.get(payments).content.decode()
    token = re.search(r'sandbox-fault".*?name="form_token" value="([^"]+)"', panel, re.S).group(1)
    response = client.post(
        f"{payments}sandbox-fault",
        {"form_token": token, "kind": "capture", "outcome": "decline"},
    )
    assert response.status_code == 302
    assert SandboxFault.objects.get().account == other_account.aid

    [call] = provider_action(order=mine, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.SUCCEEDED
    [call] = provider_action(order=theirs, kind=CallKind.CAPTURE, items=None, actor=STAFF)
    assert call.state == CallState.FAILED and "declined" in call.error


def test_the_sandbox_is_the_provider_only_where_the_settings_ask(api, order, client, settings):
    session = session_create(order=order, actor=STAFF)
    settings.PAYMENTS_SANDBOX = False
    assert client.get(f"/payments/sandbox/{session.session_id}").status_code == 404
    response = _api_post(api, f"payments/orders/{order.order_id}/capture")
    assert response.status_code == 409
    assert "no payment provider is configured" in response.json()["error"]["message"]
    settings.PAYMENTS_PROVIDER = "sandbox"
    assert client.get(f"/payments/sandbox/{session.session_id}").status_code == 200


def test_a_warning_says_when_the_sandbox_runs_without_debug(settings):
    settings.DEBUG = False
    settings.PAYMENTS_PROVIDER = "sandbox"
    [warning] = sandbox_in_production(None)
    assert warning.id == "payments.W001"
    settings.PAYMENTS_PROVIDER = ""
    settings.PAYMENTS_SANDBOX = False
    assert sandbox_in_production(None) == []
