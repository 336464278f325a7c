"""Capture, refund and cancel by item and quantity: the amounts pro rata, nothing selected until
staff select it, the total on the button and on the confirmation step, the reason kept on the
operation and shown in the timeline, and the order's payment tiles."""

import pytest

from orders.forms import OperationForm
from orders.ledger import Figures, units_amount, units_available
from orders.models import Event, OperationKind, Order, PaymentOperation
from tests.support.orders import item, make_order, record

CHAIRS = 119400  # 3 chairs at 398,00 kr


def url(order: Order, suffix: str = "") -> str:
    return f"/{order.account.aid}/orders/{order.order_id}/{suffix}"


def _form(client, order, action):
    response = client.get(url(order, f"{action}/"))
    assert response.status_code == 200
    return response


# The rounding rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(("gross", "quantity"), [(1000, 3), (100, 7), (119400, 3), (99999, 11), (-1000, 3)])
def test_units_taken_one_by_one_or_at_once_add_up_to_the_gross(gross, quantity):
    left, taken = gross, []
    while units_available(gross, quantity, left):
        taken.append(units_amount(gross, quantity, left, 1))
        left -= taken[-1]
    assert len(taken) == quantity and sum(taken) == gross and left == 0
    assert units_amount(gross, quantity, gross, quantity) == gross
    # Every unit is worth the gross divided by the quantity, rounded down; the last takes the rest.
    assert set(taken[:-1]) <= {int(gross / quantity)}


def test_units_never_take_more_than_the_line_may_still_take():
    # 100,00 of 1 000,00 refunded as another amount: two whole units of 333,33 still fit in 900,00.
    assert units_available(100000, 3, 90000) == 2
    assert units_amount(100000, 3, 90000, 2) == 66666
    # Half authorized: one unit to capture, at its own worth.
    assert units_available(100000, 3, 50000) == 1 and units_amount(100000, 3, 50000, 1) == 33333
    with pytest.raises(ValueError):
        units_amount(100000, 3, 50000, 2)


def test_tiles_figures():
    f = Figures(gross=119400, authorized=119400, captured=119400, refunded=39800)
    assert (f.net_paid, f.balance) == (79600, 0)
    assert Figures(gross=119400, authorized=119400, captured=79600).balance == 39800
    # A cheaper replacement: the gross fell below what is paid, so money is owed back.
    assert Figures(gross=80000, authorized=100000, captured=100000).balance == -20000


# The page ----------------------------------------------------------------------------------------


def test_nothing_is_selected_until_staff_select_it(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3, description="Stablestol")], captured=True)
    page = _form(login("Finance"), order, "refund").content.decode()
    assert '<option value="0" data-amount="0,00">0 of 3</option>' in page
    assert "1 of 3 · 398,00\xa0kr" in page and "3 of 3 · 1\xa0194,00\xa0kr" in page
    assert " selected>" not in page and 'value="1194' not in page
    # The button states no total until something is chosen.
    assert ">Refund</button>" in page


def test_refund_one_of_three_with_a_reason(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3, description="Stablestol")], captured=True)
    client = login("Finance")
    token = _form(client, order, "refund").context["form"].initial["form_token"]
    data = {
        "qty_1": "1",
        "line_1": "",
        "reason": "Damaged in transport",
        "payment_id": "PID_123",
        "form_token": token,
    }
    # Without JavaScript, the page sends `review`: the server shows the total before recording.
    confirm = client.post(url(order, "refund/"), {**data, "review": "1"})
    body = confirm.content.decode()
    assert confirm.status_code == 200 and 'data-testid="operation-confirm"' in body
    assert ">Refund 398,00\xa0kr</button>" in body and "Reason: Damaged in transport" in body
    assert not PaymentOperation.objects.filter(kind="refund").exists()
    # "Change" goes back to the form, as chosen.
    back = client.post(url(order, "refund/"), {**data, "change": "1"}).content.decode()
    assert 'value="1" data-amount="398,00" selected' in back and ">Refund 398,00\xa0kr</button>" in back
    # Confirmed (or sent by the script, which shows the total on the button): recorded.
    response = client.post(url(order, "refund/"), data)
    assert response.status_code == 302 and response["Location"] == url(order)
    operation = PaymentOperation.objects.get(kind="refund")
    assert operation.amount == 39800 and operation.metadata == {"reason": "Damaged in transport"}
    event = Event.objects.get(order=order, kind="refund_recorded")
    assert event.data["reason"] == "Damaged in transport"
    assert event.summary == "Refund of 398,00\xa0kr on line 1 (PID_123): Damaged in transport"
    detail = client.get(url(order)).content.decode()
    assert "Refund of 398,00\xa0kr on line 1 (PID_123): Damaged in transport" in detail
    # Two left to refund, and the next one is offered at the same worth.
    again = _form(client, order, "refund").content.decode()
    assert "2 of 3 · 796,00\xa0kr" in again and "3 of 3" not in again


def test_a_refund_or_cancellation_needs_a_reason(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3)], captured=True)
    client = login("Finance")
    token = _form(client, order, "refund").context["form"].initial["form_token"]
    response = client.post(
        url(order, "refund/"), {"qty_1": "1", "payment_id": "PID_123", "form_token": token}
    )
    assert response.status_code == 422 and "reason" in response.context["form"].errors
    authorized = make_order(account, [item(1, CHAIRS, quantity=3)], authorized=True)
    form = _form(login("Customer service"), authorized, "cancellation").context["form"]
    assert form.fields["reason"].required
    assert (
        not _form(login("Customer service"), authorized, "capture").context["form"].fields["reason"].required
    )


def test_quantity_and_another_amount_on_one_line_is_refused(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3)], authorized=True)
    client = login("Customer service")
    token = _form(client, order, "capture").context["form"].initial["form_token"]
    data = {"qty_1": "1", "line_1": "10", "payment_id": "PID_123", "form_token": token}
    response = client.post(url(order, "capture/"), data)
    assert response.status_code == 422 and "line_1" in response.context["form"].errors
    assert not PaymentOperation.objects.filter(kind="capture").exists()


def test_another_amount_still_records_and_whole_units_that_fit_stay_offered(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3)], authorized=True)
    client = login("Customer service")
    token = _form(client, order, "capture").context["form"].initial["form_token"]
    data = {"line_1": "100", "payment_id": "PID_123", "form_token": token}
    assert client.post(url(order, "capture/"), data).status_code == 302
    page = _form(client, order, "capture").content.decode()
    # 1 094,00 kr left: two chairs fit, the third no longer does.
    assert "2 of 3 · 796,00\xa0kr" in page and "3 of 3" not in page


def test_capturing_every_unit_takes_the_rounding_remainder(account, login):
    order = make_order(account, [item(1, 100000, quantity=3)], authorized=True)
    client = login("Customer service")
    for _ in range(3):
        token = _form(client, order, "capture").context["form"].initial["form_token"]
        data = {"qty_1": "1", "payment_id": "PID_123", "form_token": token}
        assert client.post(url(order, "capture/"), data).status_code == 302
    amounts = list(PaymentOperation.objects.filter(kind="capture").values_list("amount", flat=True))
    assert amounts == [33333, 33333, 33334]
    order.refresh_from_db()
    assert order.captured_amount == 100000 and order.payment_status == "CAPTURED"


def test_held_amounts_are_not_offered_as_units(account):
    order = make_order(account, [item(1, CHAIRS, quantity=3)], authorized=True)
    # A capture call under way holds one chair's worth: two chairs are left to offer.
    form = OperationForm(
        order=order, kind=OperationKind.CAPTURE, lines=list(order.lines.all()), held={1: 39800}
    )
    [row] = form.line_rows
    assert row.left == 79600 and row.units == 2


def test_order_page_tiles(account, login):
    order = make_order(account, [item(1, CHAIRS, quantity=3)], captured=True)
    record(order, "refund", [(1, 39800)])
    page = login().get(url(order)).content.decode()
    assert '<div data-testid="tile-paid"><dt>Paid by customer</dt><dd>1\xa0194,00\xa0kr</dd>' in page
    assert '<div data-testid="tile-refunded"><dt>Refunded</dt><dd>398,00\xa0kr</dd>' in page
    assert '<div data-testid="tile-net-paid"><dt>Net paid</dt><dd>796,00\xa0kr</dd>' in page
    assert '<div data-testid="tile-balance"><dt>Balance</dt><dd>0,00\xa0kr' in page
