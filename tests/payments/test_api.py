"""`/v1/accounts/{aid}/payments/orders/{order_id}/sessions|capture|refund|void`."""

import pytest

from orders.models import PaymentStatus
from payments.models import CallState, ProviderCall, SandboxFault
from payments.sandbox.gateway import SandboxGateway
from tests.support.orders import make_order

from .helpers import BASE, sandbox_paid


@pytest.fixture
def pay(api):
    def call(order_id: str, action: str, body=None, **headers):
        return api.post(
            f"/v1/accounts/{api.aid}/payments/orders/{order_id}/{action}",
            body or {},
            format="json",
            **headers,
        )

    return call


@pytest.fixture
def order(account):
    return make_order(account)


def test_the_seeds_checkout_flow_over_the_api(pay, order, client):
    response = pay(order.order_id, "sessions")
    assert response.status_code == 201, response.content
    session = response.json()["session"]
    assert session["status"] == "open" and session["amount"] == 39800
    assert session["url"].startswith("http://testserver/payments/sandbox/")
    assert response.json()["calls"][0]["kind"] == "session"

    txn = SandboxGateway(BASE).session_pay(session["session_id"])
    assert client.get(f"/payments/callback/{session['id']}?transaction_id={txn.id}").status_code == 200

    response = pay(order.order_id, "capture", {"items": [{"line_id": 1, "amount": 39800}]})
    assert response.status_code == 201, response.content
    [call] = response.json()["calls"]
    assert call["state"] == "succeeded"
    assert call["operation"]["type"] == "capture"
    assert call["operation"]["items"] == [{"line_id": 1, "amount": 39800}]
    assert call["operation"]["payment_details"]["payment_id"] == txn.id

    response = pay(order.order_id, "refund")
    assert response.status_code == 201
    assert response.json()["calls"][0]["operation"]["amount"] == 39800
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED


def test_void(pay, order):
    sandbox_paid(order)
    response = pay(order.order_id, "void")
    assert response.status_code == 201
    assert response.json()["calls"][0]["operation"]["type"] == "cancellation"


def test_unknown_outcome_is_202_and_idempotent(pay, order):
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="timeout")
    first = pay(order.order_id, "capture", HTTP_IDEMPOTENCY_KEY="cap-1")
    assert first.status_code == 202
    assert first.json()["calls"][0]["state"] == "unknown"
    again = pay(order.order_id, "capture", HTTP_IDEMPOTENCY_KEY="cap-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert ProviderCall.objects.filter(kind="capture").count() == 1
    # A new key does not capture twice: the unknown call holds the amount.
    other = pay(order.order_id, "capture", HTTP_IDEMPOTENCY_KEY="cap-2")
    assert other.status_code == 409
    assert "nothing to capture" in other.json()["error"]["message"]


def test_provider_refusal_is_502_with_the_error_body(pay, order):
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="decline")
    response = pay(order.order_id, "capture")
    assert response.status_code == 502
    body = response.json()
    assert body["error"]["code"] == "provider_failed" and "declined" in body["error"]["message"]
    assert body["calls"][0]["state"] == CallState.FAILED


def test_errors_use_the_spec_body(pay, order, make_api, other_account):
    sandbox_paid(order)
    response = pay(order.order_id, "capture", {"items": [{"line_id": 1, "amount": 99999}]})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "line 1: capture 99999 exceeds the capturable at the provider 39800"
    )
    response = pay(order.order_id, "capture", {"items": [{"line_id": 7, "amount": 1}]})
    assert response.status_code == 400
    assert response.json()["error"]["errors"][0]["field"] == "items[0].line_id"
    response = pay(order.order_id, "capture", {"items": "all"})
    assert response.status_code == 400
    response = pay(order.order_id, "refund")
    assert response.status_code == 409
    assert pay("NOPE", "capture").status_code == 404
    foreign = make_order(other_account)
    assert pay(foreign.order_id, "capture").status_code == 404


def test_scope_and_auth(make_api, account, order):
    reader = make_api(account, "read:shopping")
    response = reader.post(
        f"/v1/accounts/{account.aid}/payments/orders/{order.order_id}/capture", {}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    anonymous = make_api(account)
    anonymous.credentials()
    response = anonymous.post(f"/v1/accounts/{account.aid}/payments/orders/{order.order_id}/capture")
    assert response.status_code == 401


def test_schema_lists_the_payment_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for action in ("sessions", "capture", "refund", "void"):
        assert f"/v1/accounts/{{aid}}/payments/orders/{{order_id}}/{action}" in schema
