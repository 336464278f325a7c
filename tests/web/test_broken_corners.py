"""Corners of the staff pages that a test client can prove: each test proves one works."""

import re

import pytest

from payments.models import SandboxFault
from tests.support.orders import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True
    settings.DINTERO_ACCOUNT_ID = ""
    settings.DINTERO_CLIENT_ID = ""
    settings.DINTERO_CLIENT_SECRET = ""


def _panel_form(html: str, action: str) -> dict[str, str]:
    form = re.search(rf'<form[^>]*action="[^"]*/{action}".*?</form>', html, re.S).group(0)
    return dict(re.findall(r'name="(form_token|next)" value="([^"]*)"', form))


def test_the_panel_loaded_into_the_order_page_sends_its_forms_back_to_the_order_page(login, account, sandbox):
    order = make_order(account)
    client = login("Administrator")
    order_page = f"/{account.aid}/orders/{order.order_id}/"
    panel = client.get(
        f"{order_page}payments/panel",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{order_page}",
    ).content.decode()
    fields = _panel_form(panel, "sandbox-fault")
    assert fields["next"] == order_page
    # Without script the panel's form is a plain POST: it lands back on the whole order page.
    response = client.post(
        f"{order_page}payments/sandbox-fault", {**fields, "kind": "capture", "outcome": "decline"}
    )
    assert response.status_code == 302 and response["Location"] == order_page
    assert SandboxFault.objects.filter(account=account.aid, kind="capture").count() == 1
    # Asked for alone (no htmx), the panel still sends back to the order page, not to itself.
    alone = client.get(f"{order_page}payments/panel").content.decode()
    assert _panel_form(alone, "sandbox-fault")["next"] == order_page


def test_the_payments_page_is_a_whole_staff_page_in_words(login, account, sandbox):
    order = make_order(account, authorized=True)
    html = login("Administrator").get(f"/{account.aid}/orders/{order.order_id}/payments/").content.decode()
    assert "css/backoffice.css" in html and "htmx.min.js" in html
    assert 'data-testid="payment-status">Authorized<' in html
    assert "AUTHORIZED" not in html
