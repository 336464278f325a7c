"""The books check lists every order that does not add up, each linking to the order."""

import datetime as dt

import pytest
from django.utils import timezone

from finance.reports import stale_authorizations
from orders.models import Order, PaymentOperation
from payments.models import CallKind, CallState, Mismatch, MismatchKind, ProviderCall, ReconciliationRun
from tests.support.orders import item, make_order, record


def age(order, days: int) -> None:
    """The order and its operations as if made `days` ago (an order is made before its payments)."""
    then = timezone.now() - dt.timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(created_at=then)
    PaymentOperation.objects.filter(order=order).update(created_at=then)


@pytest.fixture
def orders(account):
    old_open = make_order(account, [item(1, 39800, 25), item(2, 10000, 12)])
    record(old_open, "authorization", [(1, 39800), (2, 10000)])
    record(old_open, "capture", [(1, 39800)])
    age(old_open, 10)
    settled = make_order(account, [item(1, 5000, 25)])
    record(settled, "authorization", [(1, 5000)])
    record(settled, "capture", [(1, 3000)])
    record(settled, "cancellation", [(1, 2000)])
    age(settled, 10)
    recent = make_order(account, [item(1, 7000, 15)])
    record(recent, "authorization", [(1, 7000)])
    return {"old_open": old_open, "settled": settled, "recent": recent}


def test_stale_authorizations(account, orders):
    found = list(stale_authorizations(accounts=[account], days=7))
    assert [o.pk for o in found] == [orders["old_open"].pk]
    assert found[0].open_amount == 10000 and found[0].open_lines == 1
    assert {o.pk for o in stale_authorizations(accounts=[account], days=0)} == {
        orders["old_open"].pk,
        orders["recent"].pk,
    }


def test_books_page_lists_unknown_calls_mismatches_and_open_authorizations(client, account, staff, orders):
    recent = orders["recent"]
    ProviderCall.objects.create(
        order=recent,
        provider="sandbox",
        kind=CallKind.CAPTURE,
        state=CallState.UNKNOWN,
        payment_id="T_UNKNOWN",
        amount=7000,
        error="timed out",
        created_by="tests",
    )
    run = ReconciliationRun.objects.create()
    Mismatch.objects.create(
        order=orders["settled"],
        provider="sandbox",
        payment_id="T_DIFF",
        kind=MismatchKind.CAPTURED,
        recorded=3000,
        at_provider=5000,
        first_run=run,
        last_run=run,
    )
    client.force_login(staff["Finance"])

    page = client.get(f"/{account.aid}/finance/books/").content.decode()

    for order in orders.values():
        assert f'href="/{account.aid}/orders/{order.order_id}/"' in page
    assert "T_UNKNOWN" in page and "T_DIFF" in page and "Captured differs" in page
    assert "3 orders" in page
    # the Finance role holds the reconcile permission
    assert "Reconcile now" in page


def test_books_page_roles(client, account, staff):
    client.force_login(staff["Customer service"])
    assert client.get(f"/{account.aid}/finance/books/").status_code == 403
    assert client.post(f"/{account.aid}/finance/books/reconcile/").status_code == 403
    client.force_login(staff["Administrator"])
    assert client.get(f"/{account.aid}/finance/books/").status_code == 200
    assert client.get("/T99999999/finance/books/").status_code == 404


def test_reconcile_now_runs_over_the_account(client, account, staff, orders):
    client.force_login(staff["Finance"])
    response = client.post(f"/{account.aid}/finance/books/reconcile/")
    assert response.status_code == 302
    assert ReconciliationRun.objects.filter(finished_at__isnull=False).exists()


def test_stale_authorizations_oldest_first_up_to_a_limit(account, orders):
    older = make_order(account, [item(1, 2000, 25)])
    record(older, "authorization", [(1, 1000)])
    record(older, "authorization", [(1, 1000)], payment_id="PID_2")
    age(older, 30)

    assert [o.pk for o in stale_authorizations(accounts=[account], days=7, limit=1)] == [older.pk]
    found = list(stale_authorizations(accounts=[account], days=7, limit=5))
    assert [o.pk for o in found] == [older.pk, orders["old_open"].pk]
    # both authorizations of the order count, the order is listed once
    assert (found[0].open_amount, found[0].open_lines) == (2000, 1)


def test_each_section_lists_its_first_rows_and_says_there_are_more(client, account, staff, monkeypatch):
    from finance import books

    monkeypatch.setattr(books, "BOOKS_ROWS", 2)
    for days in (30, 20, 10):
        order = make_order(account)
        record(order, "authorization", [(1, 39800)])
        age(order, days)
    client.force_login(staff["Finance"])

    page = client.get(f"/{account.aid}/finance/books/", HTTP_ACCEPT_LANGUAGE="en")

    assert len(page.context["stale"]) == 2 and page.context["counts"]["stale"] == "2+"
    html = page.content.decode()
    assert "after 7 days (2+)" in html and "The oldest 2 are shown." in html
    assert f'href="/{account.aid}/orders/?queue=stale_authorizations&amp;days=7"' in html
    assert page.context["counts"]["calls"] == "0" and "The oldest" not in html.split("stale-heading")[0]
