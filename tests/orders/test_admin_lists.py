"""The admin's lists cost the same at a million rows as at ten: counted up to a cap, never
twice; filters offer their choices without reading every row; the orders are searched as the
order list searches them; everything within the user's accounts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice import admin_site
from tests.support.factories import AccountFactory
from tests.support.orders import item, make_order

LISTS = [
    "/admin/orders/order/",
    "/admin/orders/orderline/",
    "/admin/orders/taxline/",
    "/admin/orders/paymentoperation/",
    "/admin/orders/operationitem/",
    "/admin/orders/event/",
    "/admin/orders/draftorder/",
    "/admin/backoffice/idempotencyrecord/",
]


@pytest.fixture
def administrator(staff, client):
    client.force_login(staff["Administrator"])
    return client


@pytest.fixture
def orders(account):
    return [make_order(account, [item(1, 10000 + n)], captured=True) for n in range(5)]


def test_a_list_counts_its_rows_as_far_as_the_pages_it_offers_and_only_once(
    administrator, orders, monkeypatch
):
    from orders.admin import OrderAdmin

    monkeypatch.setattr(admin_site, "AHEAD", 1)
    monkeypatch.setattr(OrderAdmin, "list_per_page", 2)

    with CaptureQueriesContext(connection) as queries:
        first = administrator.get("/admin/orders/order/").content.decode()

    assert "more than 4 orders" in first and "?p=3" in first and "?p=4" not in first
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 5" in counts[0]
    # A page further on counts further, and offers the pages after it: every page is reachable.
    second = administrator.get("/admin/orders/order/", {"p": 2}).content.decode()
    assert "5 orders" in second and "more than" not in second and "?p=3" in second
    assert administrator.get("/admin/orders/order/", {"p": "x"}).status_code in (200, 302)
    # A forged page number far past the end is Django's "no such page", never a 500.
    assert administrator.get("/admin/orders/order/", {"p": "9" * 40}).status_code in (200, 302)


@pytest.mark.postgres  # the embedded database reads its few currencies as they come
def test_no_list_reads_distinct_values_of_its_rows_nor_offers_counts_of_them(administrator, orders):
    for url in LISTS:
        with CaptureQueriesContext(connection) as queries:
            page = administrator.get(url)
        assert page.status_code == 200 and "_facets" not in page.content.decode(), url
        distinct = [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]
        assert not [sql for sql in distinct if '"orders_' in sql or '"backoffice_idem' in sql], url


def test_the_currency_and_account_filters_offer_the_user_s_own(administrator, account, orders):
    make_order(AccountFactory(aid="T00000042", name="Elsewhere"), [item(1, 500)], currency="SEK")
    make_order(account, [item(1, 500)], currency="EUR")

    for url in ("/admin/orders/order/", "/admin/orders/orderline/", "/admin/orders/paymentoperation/"):
        page = administrator.get(url).content.decode()
        assert "currency=EUR" in page and "currency=NOK" in page, url
        assert "SEK" not in page and "Elsewhere" not in page, url


def test_orders_are_searched_by_part_of_a_name_as_the_order_list_does(administrator, account):
    kari = {"first_name": "Kari", "last_name": "Nordmann"}
    mine = make_order(account, [item(1, 500)], customer=kari)
    other = make_order(account, [item(1, 700)], customer={"first_name": "Ola", "last_name": "Hansen"})
    foreign = make_order(AccountFactory(aid="T00000043"), [item(1, 500)], customer=kari)

    page = administrator.get("/admin/orders/order/", {"q": "nordma"}).content.decode()

    assert mine.order_id in page and other.order_id not in page and foreign.order_id not in page
    assert administrator.get("/admin/orders/order/", {"q": "   "}).status_code == 200


def test_the_fixed_choice_filters_narrow_the_list(administrator, account, api):
    reversed_order = make_order(account, [item(1, 500), item(2, 800)], reversed=[1])
    plain = make_order(account, [item(1, 900)])
    assert api.call("post", f"orders/{plain.order_id}/cancel", HTTP_IDEMPOTENCY_KEY="k-1").status_code < 300

    reversal = administrator.get("/admin/orders/orderline/", {"reversal": "yes"}).content.decode()
    others = administrator.get("/admin/orders/orderline/", {"reversal": "no"}).content.decode()
    assert f"line 3 of order {reversed_order.order_id}" in reversal and plain.order_id not in reversal
    assert plain.order_id in others and f"line 3 of order {reversed_order.order_id}" not in others
    for answer, listed in (("2xx", True), ("4xx", False), ("5xx", False), ("none", False)):
        page = administrator.get("/admin/backoffice/idempotencyrecord/", {"answer": answer}).content.decode()
        assert ("k-1" in page) == listed, answer
