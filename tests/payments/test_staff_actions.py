"""Staff actions on the payment panel: permissions, CSRF, one-time tokens, account scope."""

import re

import pytest
from django.test import Client

from orders.models import OperationKind, PaymentOperation, PaymentStatus
from payments.models import CallState, PaymentSession, ProviderCall, SandboxFault, SessionStatus
from payments.services.sessions import session_create
from tests.support.factories import UserFactory
from tests.support.orders import make_order

from .helpers import BASE, STAFF, sandbox_paid


@pytest.fixture
def order(account):
    return make_order(account)


def _url(order, action: str = "") -> str:
    """The order's payment panel page, or one of its actions."""
    return f"/{order.account.aid}/orders/{order.order_id}/payments/{action}"


def _panel(client, order) -> str:
    response = client.get(_url(order))
    assert response.status_code == 200
    return response.content.decode()


def _token(html: str, action: str) -> str:
    form = re.search(rf'action="[^"]*/{action}".*?name="form_token" value="([^"]+)"', html, re.S)
    assert form, f"no {action} form"
    return form.group(1)


def _post(client, order, action, **extra):
    token = _token(_panel(client, order), action)
    return client.post(_url(order, action), {"form_token": token, **extra})


def test_send_payment_link_shows_the_link_to_copy(login, order):
    client = login("Customer service")
    response = _post(client, order, "link")
    assert response.status_code == 302
    session = PaymentSession.objects.get(order=order)
    assert session.status == SessionStatus.OPEN
    html = _panel(client, order)
    assert f'value="{session.url}"' in html
    assert "Payment link ready" in html


def test_capture_and_refund_with_one_click_each(login, order):
    sandbox_paid(order)
    cs, finance = login("Customer service"), login("Finance")
    assert "Capture at provider (398,00" in _panel(cs, order)
    assert _post(cs, order, "capture").status_code == 302
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CAPTURED
    assert "Refund at provider" in _panel(finance, order)
    assert _post(finance, order, "refund").status_code == 302
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.REFUNDED


def test_cancel_at_provider(login, order):
    sandbox_paid(order)
    client = login("Customer service")
    assert _post(client, order, "void").status_code == 302
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.CANCELLED


def test_a_double_submitted_form_acts_once(login, order):
    sandbox_paid(order)
    client = login("Administrator")
    token = _token(_panel(client, order), "capture")
    for _ in range(2):
        response = client.post(_url(order, "capture"), {"form_token": token})
        assert response.status_code == 302
    assert ProviderCall.objects.filter(kind="capture").count() == 1
    assert PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).count() == 1


def test_permissions(login, order):
    sandbox_paid(order)
    finance, cs = login("Finance"), login("Customer service")
    # Finance may refund but not capture, link or cancel.
    assert "Capture at provider" not in _panel(finance, order)
    for action in ("capture", "link", "void"):
        response = finance.post(_url(order, action), {"form_token": "x"})
        assert response.status_code == 403
    # Customer service may not refund.
    response = cs.post(_url(order, "refund"), {"form_token": "x"})
    assert response.status_code == 403
    assert not ProviderCall.objects.filter(kind__in=["capture", "refund", "void"]).exists()


def test_anonymous_is_sent_to_login(client, order):
    response = client.post(_url(order, "capture"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_another_accounts_order_is_404(login, account, other_account):
    foreign = make_order(other_account)
    sandbox_paid(foreign)
    client = login("Administrator")
    assert client.get(_url(foreign)).status_code == 404
    for action in ("capture", "refund", "void", "link"):
        assert client.post(_url(foreign, action), {"form_token": "x"}).status_code == 404
    # Nor under the user's own account, by the other account's order id.
    own = f"/{account.aid}/orders/{foreign.order_id}/payments/"
    assert client.get(own).status_code == 404
    assert client.post(f"{own}capture", {"form_token": "x"}).status_code == 404
    assert not ProviderCall.objects.filter(kind="capture").exists()


def test_csrf_is_required(staff, order):
    sandbox_paid(order)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["Administrator"])
    token = _token(_panel(client, order), "capture")
    response = client.post(_url(order, "capture"), {"form_token": token})
    assert response.status_code == 403
    assert not ProviderCall.objects.filter(kind="capture").exists()
    csrf = client.cookies["csrftoken"].value
    response = client.post(_url(order, "capture"), {"form_token": token, "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert ProviderCall.objects.get(kind="capture").state == CallState.SUCCEEDED


def test_refused_action_shows_the_reason(login, order):
    sandbox_paid(order)
    SandboxFault.objects.create(account=order.account.aid, kind="capture", outcome="decline")
    client = login("Customer service")
    _post(client, order, "capture")
    html = _panel(client, order)
    assert "Capture refused" in html and "declined" in html


def test_unknown_outcome_is_shown_on_the_panel(login, order):
    sandbox_paid(order)
    client = login("Customer service")
    assert _post(client, order, "sandbox-fault", kind="capture", outcome="timeout").status_code == 302
    _post(client, order, "capture")
    html = _panel(client, order)
    assert "the provider did not answer" in html
    assert "held until reconciliation" in html


def test_htmx_post_answers_the_panel(login, order):
    sandbox_paid(order)
    client = login("Customer service")
    token = _token(_panel(client, order), "capture")
    response = client.post(_url(order, "capture"), {"form_token": token}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="payments-panel"' in response.content.decode()


def test_staff_of_no_account_sees_nothing(order):
    client = Client()
    client.force_login(UserFactory(username="nobody", role="Administrator"))
    assert client.get(_url(order)).status_code == 404


def test_sandbox_page_pays_and_returns(client, order):
    session = session_create(order=order, actor=STAFF)
    page = client.get(session.url.removeprefix(BASE))
    assert page.status_code == 200 and "Pay 398,00" in page.content.decode()
    response = client.post(session.url.removeprefix(BASE), {"action": "pay"})
    assert response.status_code == 302
    assert response["Location"].startswith(f"{BASE}/payments/return/{session.pk}?transaction_id=")
    page = client.get(response["Location"].removeprefix(BASE))
    assert "Payment authorized" in page.content.decode()
    order.refresh_from_db()
    assert order.payment_status == PaymentStatus.AUTHORIZED
