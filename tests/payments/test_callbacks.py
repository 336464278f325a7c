"""The provider's callback: never trusted, read back from the provider, recorded once."""

import pytest
from django.test import Client

from orders.models import OperationKind, PaymentOperation, PaymentStatus
from payments.models import PaymentSession, SessionStatus
from payments.sandbox.gateway import SandboxGateway
from payments.services.sessions import session_create
from tests.support.factories import AccountFactory
from tests.support.orders import make_order
from tests.support.threads import at_once

from .helpers import BASE, STAFF


def _open_session(account, **kw):
    order = make_order(account)
    session = session_create(order=order, actor=STAFF, **kw)
    return order, session


def _authorizations(order):
    return PaymentOperation.objects.filter(order=order, kind=OperationKind.AUTHORIZATION).count()


def test_callback_records_the_authorization_once_however_often_it_comes(account, client):
    order, session = _open_session(account)
    txn = SandboxGateway(BASE).session_pay(session.session_id)
    url = f"/payments/callback/{session.pk}?transaction_id={txn.id}&merchant_reference={order.order_id}"
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == SessionStatus.AUTHORIZED
    response = client.post(
        f"/payments/callback/{session.pk}", {"transaction_id": txn.id}, content_type="application/json"
    )
    assert response.status_code == 200
    assert _authorizations(order) == 1
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED
    session.refresh_from_db()
    assert session.authorization.payment_id == txn.id == session.transaction_id


def test_callback_content_is_not_trusted(account, client):
    order, session = _open_session(account)
    # Not paid: the callback's claim is checked at the provider.
    response = client.get(
        f"/payments/callback/{session.pk}?transaction_id=SBX.forged&merchant_reference={order}"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    response = client.get(f"/payments/callback/{session.pk}")
    assert response.status_code == 404
    assert "has not been paid" in response.json()["error"]["message"]
    assert _authorizations(order) == 0


def test_a_transaction_of_another_order_is_refused(account, client):
    order, session = _open_session(account)
    _other_order, other_session = _open_session(account)
    other_txn = SandboxGateway(BASE).session_pay(other_session.session_id)
    response = client.get(f"/payments/callback/{session.pk}?transaction_id={other_txn.id}")
    assert response.status_code == 409
    assert "does not belong to this payment link" in response.json()["error"]["message"]
    assert _authorizations(order) == 0


def test_unknown_payment_link_or_order_is_a_logged_404(account, client, caplog):
    _order, session = _open_session(account)
    response = client.get("/payments/callback/00000000-0000-0000-0000-000000000000?transaction_id=X")
    assert response.status_code == 404
    assert "unknown payment link" in caplog.text
    response = client.get(f"/payments/callback/{session.pk}?transaction_id=X&merchant_reference=NOPE")
    assert response.status_code == 404
    assert "names order 'NOPE'" in caplog.text


def test_declined_payment_marks_the_link_declined(account, client):
    order, session = _open_session(account)
    txn = SandboxGateway(BASE).session_pay(session.session_id, decline=True)
    response = client.get(f"/payments/callback/{session.pk}?transaction_id={txn.id}")
    assert response.status_code == 200
    assert response.json()["status"] == SessionStatus.DECLINED
    assert _authorizations(order) == 0


def test_dintero_callback_reads_the_transaction(emulator, account, client):
    order, session = _open_session(account)
    tid = emulator.pay(session.session_id)
    response = client.get(f"/payments/callback/{session.pk}?transaction_id={tid}&merchant_reference={order}")
    assert response.status_code == 200
    assert [r.method + " " + r.url.path for r in emulator.requests][-1] == f"GET /v1/transactions/{tid}"
    assert _authorizations(order) == 1


def test_provider_down_answers_503_so_the_callback_is_retried(emulator, account, client):
    order, session = _open_session(account)
    tid = emulator.pay(session.session_id)
    emulator.handle = lambda request: (_ for _ in ()).throw(
        __import__("httpx").ReadTimeout("x", request=request)
    )
    response = client.get(f"/payments/callback/{session.pk}?transaction_id={tid}")
    assert response.status_code == 503
    assert _authorizations(order) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_callbacks_record_one_authorization():
    account = AccountFactory(aid="T12340000")
    order, session = _open_session(account)
    txn = SandboxGateway(BASE).session_pay(session.session_id)
    url = f"/payments/callback/{session.pk}?transaction_id={txn.id}"

    statuses = at_once(6, lambda i: Client().get(url).status_code)

    assert statuses == [200] * 6
    assert _authorizations(order) == 1
    assert PaymentSession.objects.get(pk=session.pk).status == SessionStatus.AUTHORIZED
    order.refresh_from_db()
    assert order.authorized_amount == 39800
