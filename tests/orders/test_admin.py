"""The orders' admin: data fixes are events naming the administrator and the reason, money
records can be neither edited nor deleted, and an administrator sees their accounts' orders only."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Event, EventKind, OperationItem, OrderLine, PaymentOperation
from tests.support.admin_forms import change_form
from tests.support.factories import AccountFactory
from tests.support.orders import item, make_order


@pytest.fixture
def admin_user(staff):
    return staff["Administrator"]


@pytest.fixture
def order(account):
    return make_order(
        account,
        [item(1, 39800, 25), item(2, 10000, 15)],
        shipping_address={
            "address_line": "Storgata 1",
            "postal_place": "Osloo",
            "postal_code": "0155",
            "country": "NO",
        },
        authorized=True,
        captured=[(1, 39800)],
    )


def test_address_fix_writes_an_event_with_the_admin_user(client, admin_user, order):
    client.force_login(admin_user)
    url = reverse("admin:orders_order_change", args=[order.pk])
    fixed = {**order.shipping_address, "postal_place": "Oslo"}
    data = change_form(client, url, shipping_address=json.dumps(fixed), fix_reason="typo in city")

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    order.refresh_from_db()
    assert order.shipping_address["postal_place"] == "Oslo"
    event = Event.objects.get(order=order, kind=EventKind.DATA_FIXED)
    assert event.actor_user == admin_user
    assert event.created_by == "administrator"
    assert event.data["changes"] == [
        {"field": "shipping_address.postal_place", "from": "Osloo", "to": "Oslo"}
    ]
    assert event.data["reason"] == "typo in city"
    assert "Osloo → Oslo" in event.summary


def test_saving_without_changes_writes_no_event(client, admin_user, order):
    client.force_login(admin_user)
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert client.post(url, change_form(client, url)).status_code == 302
    assert not Event.objects.filter(kind=EventKind.DATA_FIXED).exists()


def test_line_description_fix_is_an_event_but_the_amount_stays(client, admin_user, order):
    client.force_login(admin_user)
    line = order.lines.get(line_id=1)
    url = reverse("admin:orders_orderline_change", args=[line.pk])
    data = change_form(
        client, url, description="Stablestol, grå", gross_amount="1", tax_amount="0", captured_amount="0"
    )

    assert client.post(url, data).status_code == 302

    line.refresh_from_db()
    assert line.description == "Stablestol, grå"
    assert (line.gross_amount, line.tax_amount, line.captured_amount) == (39800, 7960, 39800)
    event = Event.objects.get(kind=EventKind.DATA_FIXED)
    assert event.data["line_id"] == 1 and event.actor_user == admin_user


def test_money_pages_show_the_note_about_reversals(client, admin_user, order):
    client.force_login(admin_user)
    op = PaymentOperation.objects.filter(order=order).first()
    page = client.get(reverse("admin:orders_paymentoperation_change", args=[op.pk])).content.decode()
    assert "Replace item" in page
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Replace item" in page and "reversal line" in page


def test_operations_and_lines_cannot_be_deleted_or_edited(client, admin_user, order):
    client.force_login(admin_user)
    op = PaymentOperation.objects.filter(order=order, kind="capture").get()
    op_item = OperationItem.objects.filter(operation=op).get()
    line = order.lines.get(line_id=1)

    for url in (
        reverse("admin:orders_paymentoperation_delete", args=[op.pk]),
        reverse("admin:orders_operationitem_delete", args=[op_item.pk]),
        reverse("admin:orders_orderline_delete", args=[line.pk]),
        reverse("admin:orders_order_delete", args=[order.pk]),
        reverse("admin:orders_event_delete", args=[Event.objects.first().pk]),
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403, url

    # a crafted change POST on an operation or an item is refused
    assert (
        client.post(
            reverse("admin:orders_paymentoperation_change", args=[op.pk]), {"amount": "1", "kind": "refund"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:orders_operationitem_change", args=[op_item.pk]), {"amount": "1"}
        ).status_code
        == 403
    )
    assert client.post(reverse("admin:orders_paymentoperation_add"), {"amount": "1"}).status_code == 403

    # the bulk delete action is not offered
    response = client.post(
        reverse("admin:orders_paymentoperation_changelist"),
        {"action": "delete_selected", "_selected_action": [op.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert PaymentOperation.objects.filter(pk=op.pk).exists()
    assert OrderLine.objects.filter(pk=line.pk, gross_amount=39800, captured_amount=39800).exists()
    op.refresh_from_db()
    assert (op.amount, op.kind) == (39800, "capture")


def test_non_superuser_administrator_sees_only_member_accounts(client, admin_user, order):
    foreign = make_order(AccountFactory(aid="T99999999"), [item(1, 5000, 25)])
    client.force_login(admin_user)
    page = client.get("/admin/orders/order/").content.decode()
    assert order.order_id in page and foreign.order_id not in page
    assert client.get(reverse("admin:orders_order_change", args=[foreign.pk])).status_code == 302


def test_money_reads_as_money_and_a_line_by_its_orders_id(client, admin_user, order):
    """Every admin screen of the money history (tax lines, operations, their items, lines) shows
    amounts in kroner and names a line by its order's id: never minor units, never a key."""
    client.force_login(admin_user)
    line = order.lines.get(line_id=1)
    tax_line = line.tax_lines.get()
    capture = PaymentOperation.objects.get(order=order, kind="capture")
    op_item = capture.items.get()
    named = f"line 1 of order {order.order_id}"
    pages = {
        reverse("admin:orders_taxline_changelist"): [named, "79,60\xa0kr"],
        reverse("admin:orders_taxline_change", args=[tax_line.pk]): [named, "79,60\xa0kr"],
        reverse("admin:orders_operationitem_changelist"): [named, "398,00\xa0kr"],
        reverse("admin:orders_operationitem_change", args=[op_item.pk]): [named, "398,00\xa0kr"],
        reverse("admin:orders_paymentoperation_change", args=[capture.pk]): [named, "398,00\xa0kr"],
        reverse("admin:orders_orderline_change", args=[line.pk]): [named, "79,60\xa0kr"],
    }
    for url, shown in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for text in shown:
            assert text in page, (url, text)
        assert f"of {line.order_id}" not in page, url  # the order's key
        assert ">39800<" not in page and ">7960<" not in page and "39 800" not in page, url
    assert str(tax_line) == "79,60\xa0kr at 25 %"
    assert str(op_item) == f"398,00\xa0kr on {named}"


def test_money_history_lists_read_each_row_with_its_order_once(client, admin_user, order):
    """The lists and inlines that show a line's amount read each row's line and order with it:
    as many queries for twenty-one orders as for one."""
    client.force_login(admin_user)
    capture = PaymentOperation.objects.get(order=order, kind="capture")
    urls = [
        reverse("admin:orders_taxline_changelist"),
        reverse("admin:orders_operationitem_changelist"),
        reverse("admin:orders_orderline_change", args=[order.lines.get(line_id=1).pk]),
        reverse("admin:orders_paymentoperation_change", args=[capture.pk]),
    ]

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    before = queries()
    for _ in range(20):
        make_order(
            order.account, [item(1, 10000, 25), item(2, 5000, 15)], authorized=True, captured=[(1, 10000)]
        )
    line = order.lines.get(line_id=1)
    for tax in range(4):  # an inline of several rows
        line.tax_lines.create(amount=0, percentage=tax)
    assert queries() == before
