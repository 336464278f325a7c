"""Replace item (spec §8): the guided flow builds the seeds' update draft and settles it."""

from decimal import Decimal

import pytest

from backoffice.actor import Actor
from backoffice.errors import InvalidInput
from orders.models import DraftOrder, Order, PaymentOperation
from orders.selectors import order_get
from orders.services.replacement import (
    Replacement,
    Reversal,
    replacement_create,
    replacement_settle,
    replacement_settlement,
)
from tests.support.orders import item, make_order, record

ACTOR = Actor(system="tests")


def captured_order(account, gross=39800, quantity=2):
    order = make_order(account, [item(1, gross, quantity=quantity)])
    record(order, "authorization", [(1, gross)])
    record(order, "capture", [(1, gross)])
    return order


def fresh(order: Order) -> Order:
    return order_get(account=order.account, order_id=order.order_id)


def replace(order, new_gross, quantity=2, reverse_quantity=2):
    return replacement_create(
        order=fresh(order),
        reversals=[Reversal(line_id=1, quantity=reverse_quantity)],
        replacements=[Replacement("003929", "Stablestol Lux", quantity, new_gross, Decimal(25))],
        reason="Replace item",
        actor=ACTOR,
    )


def test_cheaper_replacement_adds_a_refund_line_and_settles_as_the_seed(account):
    order = captured_order(account)
    draft = replace(order, 29800)
    lines = {line.line_id: line for line in fresh(order).lines.all()}
    assert lines[2].gross_amount == -39800 and lines[2].related_line.line_id == 1
    assert lines[2].tax_amount == -7960
    assert lines[3].gross_amount == 29800
    assert lines[4].gross_amount == 10000 and lines[4].metadata == {"purpose": "refund"}
    settlement = replacement_settlement(order=fresh(order), draft=draft)
    assert [s.key for s in settlement.steps] == ["swap", "refund"]
    assert not settlement.step("refund").ready
    replacement_settle(order=fresh(order), draft=draft, step_key="swap", actor=ACTOR)
    replacement_settle(order=fresh(order), draft=draft, step_key="refund", actor=ACTOR)
    order = fresh(order)
    assert (order.gross_amount, order.captured_amount, order.refunded_amount) == (39800, 39800, 10000)
    assert order.payment_status == "PARTIALLY_REFUNDED"
    assert set(PaymentOperation.objects.values_list("payment_id", flat=True)) == {"PID_123"}
    assert replacement_settlement(order=order, draft=draft).complete
    with pytest.raises(InvalidInput):
        replacement_settle(order=order, draft=draft, step_key="refund", actor=ACTOR)


def test_dearer_replacement_asks_for_an_extra_authorization_under_a_new_payment_id(account):
    order = captured_order(account)
    draft = replace(order, 49800)
    assert not any(line.is_refund_line for line in fresh(order).lines.all())
    settlement = replacement_settlement(order=fresh(order), draft=draft)
    assert [s.key for s in settlement.steps] == ["swap", "extra"]
    assert settlement.step("extra").operations[0][1] == [{"line_id": 3, "amount": 10000}]
    replacement_settle(order=fresh(order), draft=draft, step_key="swap", actor=ACTOR)
    with pytest.raises(InvalidInput):
        replacement_settle(
            order=fresh(order), draft=draft, step_key="extra", actor=ACTOR, payment_id="PID_123"
        )
    replacement_settle(order=fresh(order), draft=draft, step_key="extra", actor=ACTOR, payment_id="PID_321")
    order = fresh(order)
    assert order.captured_amount == order.gross_amount == 49800
    assert order.payment_status == "CAPTURED"
    extra = PaymentOperation.objects.filter(payment_id="PID_321")
    assert sorted(extra.values_list("kind", flat=True)) == ["authorization", "capture"]
    assert replacement_settlement(order=order, draft=draft).complete


def test_partial_quantity_is_reversed_pro_rata(account):
    order = captured_order(account, gross=39800, quantity=2)
    replace(order, 19900, quantity=1, reverse_quantity=1)
    reversal = fresh(order).lines.get(line_id=2)
    assert (reversal.quantity, reversal.gross_amount) == (1, -19900)


def test_nothing_chosen_or_too_much_is_refused_and_writes_nothing(account):
    order = captured_order(account)
    with pytest.raises(InvalidInput):
        replace(order, 100, reverse_quantity=0)
    with pytest.raises(InvalidInput):
        replace(order, 100, reverse_quantity=3)
    assert DraftOrder.objects.count() == 1 and fresh(order).lines.count() == 1


def test_unpaid_lines_have_no_settlement_steps(account):
    order = make_order(account)
    draft = replace(order, 10000)
    assert replacement_settlement(order=fresh(order), draft=draft).steps == []


# The pages ------------------------------------------------------------------------------------


def form_data(reverse=2, amount="298", description="Stablestol Lux"):
    data = {"reason": "Wrong colour", "reverse_1": str(reverse)}
    for i in range(3):
        data.update(
            {
                f"new-{i}-sku": "",
                f"new-{i}-description": "",
                f"new-{i}-quantity": "1",
                f"new-{i}-amount": "",
                f"new-{i}-vat_rate": "25",
            }
        )
    data.update(
        {
            "new-0-sku": "003929",
            "new-0-description": description,
            "new-0-quantity": "2",
            "new-0-amount": amount,
        }
    )
    return data


def test_replace_pages_preview_confirm_and_settle(account, login):
    order = captured_order(account)
    client = login()
    base = f"/{account.aid}/orders/{order.order_id}/"
    assert client.get(f"{base}replace/").status_code == 200
    preview = client.get(f"{base}replace/preview/", form_data(), HTTP_HX_REQUEST="true").content.decode()
    assert "100,00" in preview and "refund line" in preview
    response = client.post(f"{base}replace/", form_data())
    assert response.status_code == 302
    draft = DraftOrder.objects.get(target_order=order)
    assert response["Location"] == f"{base}replacements/{draft.pk}/"
    page = client.get(response["Location"])
    assert "Record the swap" in page.content.decode()
    token = page.context["settle_form"].initial["form_token"]
    assert client.post(f"{base}replacements/{draft.pk}/swap/", {"form_token": token}).status_code == 302
    again = client.post(f"{base}replacements/{draft.pk}/swap/", {"form_token": token})
    assert again.status_code == 302
    assert PaymentOperation.objects.count() == 2 + 4
    page = client.get(response["Location"])
    token = page.context["settle_form"].initial["form_token"]
    assert client.post(f"{base}replacements/{draft.pk}/refund/", {"form_token": token}).status_code == 302
    order = fresh(order)
    assert order.refunded_amount == 10000
    assert "Refund line" in client.get(base).content.decode()


def test_customer_service_can_swap_but_not_refund(account, login):
    order = captured_order(account)
    draft = replace(order, 29800)
    client = login("Customer service")
    base = f"/{account.aid}/orders/{order.order_id}/replacements/{draft.pk}/"
    token = client.get(base).context["settle_form"].initial["form_token"]
    assert client.post(f"{base}swap/", {"form_token": token}).status_code == 302
    page = client.get(base)
    assert "A finance user records this refund" in page.content.decode()
    token = page.context["settle_form"].initial["form_token"]
    assert client.post(f"{base}refund/", {"form_token": token}).status_code == 403
    assert fresh(order).refunded_amount == 0


def test_replace_page_shows_errors(account, login):
    order = captured_order(account)
    base = f"/{account.aid}/orders/{order.order_id}/"
    response = login().post(f"{base}replace/", form_data(reverse=0))
    assert response.status_code == 422
    assert "choose at least one line" in response.content.decode()
    response = login().post(f"{base}replace/", form_data(amount="x"))
    assert response.status_code == 422 and "is not an amount" in response.content.decode()


def test_dearer_extra_authorization_page(account, login):
    order = captured_order(account)
    draft = replace(order, 49800)
    client = login()
    base = f"/{account.aid}/orders/{order.order_id}/replacements/{draft.pk}/"
    token = client.get(base).context["settle_form"].initial["form_token"]
    client.post(f"{base}swap/", {"form_token": token})
    page = client.get(base)
    assert "Authorize the extra amount under a new payment id" in page.content.decode()
    token = page.context["extra_form"].initial["form_token"]
    refused = client.post(f"{base}extra/", {"form_token": token, "payment_id": "PID_123", "capture": "on"})
    assert refused.status_code == 422 and "use another id" in refused.content.decode()
    assert (
        client.post(
            f"{base}extra/", {"form_token": token, "payment_id": "PID_321", "capture": "on"}
        ).status_code
        == 302
    )
    assert fresh(order).payment_status == "CAPTURED"


def test_replacement_of_another_order_is_404(account, login):
    order = captured_order(account)
    other = make_order(account)
    draft = replace(order, 29800)
    assert login().get(f"/{account.aid}/orders/{other.order_id}/replacements/{draft.pk}/").status_code == 404
