"""The list and order pages read a constant number of queries however much there is to show."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import selectors
from orders.services.events import note_add
from orders.web import order_list
from orders.web.order_list import PAGE_SIZE
from tests.support.orders import TEST_ACTOR, item, make_order, record, update


def visit(client, path: str) -> None:
    assert client.get(path).status_code == 200


def second_visit_queries(client, path: str) -> list[dict]:
    """The queries of a second visit (the first also writes the session)."""
    visit(client, path)
    with CaptureQueriesContext(connection) as captured:
        visit(client, path)
    return captured.captured_queries


def queries(client, path: str) -> int:
    return len(second_visit_queries(client, path))


def second_visit(client, path: str, expected) -> None:
    """Visit twice, the second time under `expected`, a query-count assertion."""
    visit(client, path)
    with expected:
        visit(client, path)


def add_orders(account, n: int) -> None:
    for _ in range(n):
        make_order(account, [item(1), item(2, 10000)], customer={"first_name": "Kari"}, authorized=True)


@pytest.mark.parametrize("common", [False, True], ids=["looked up", "order by order"])
def test_order_list_queries_do_not_grow_with_orders(
    account, login, django_assert_num_queries, monkeypatch, common
):
    # However the search runs (orders.selectors.PROBE), it runs the same queries for any data.
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 0 if common else 10**6)
    client = login()
    # More than a page of whole-value matches from the start (fewer are fetched first, with a
    # query of their own).
    add_orders(account, PAGE_SIZE + 1)
    path = f"/{account.aid}/orders/?q=kari&payment_status=AUTHORIZED"
    few = queries(client, path)
    add_orders(account, 30)
    second_visit(client, path, django_assert_num_queries(few))
    unsorted = queries(client, f"/{account.aid}/orders/")
    second_visit(client, f"/{account.aid}/orders/?sort=gross", django_assert_num_queries(unsorted))


def test_a_search_looks_up_the_whole_text_as_a_sku_and_a_payment_id_once(account, login):
    client = login()
    add_orders(account, 3)
    captured = second_visit_queries(client, f"/{account.aid}/orders/?q=kari")
    by_sku = [q for q in captured if '"orders_orderline"."item_id" =' in q["sql"]]
    by_payment_id = [q for q in captured if '"orders_paymentoperation"."payment_id" =' in q["sql"]]
    assert (len(by_sku), len(by_payment_id)) == (1, 1), captured


def test_order_page_queries_do_not_grow_with_lines_operations_and_events(
    account, login, django_assert_num_queries
):
    client = login()
    order = make_order(account, [item(1), item(2, 10000)], authorized=[(1, 39800)])
    path = f"/{account.aid}/orders/{order.order_id}/"
    few = queries(client, path)
    update(
        order,
        [
            item(3, -39800, related_item={"line_id": 1, "type": "reversed"}),
            *[item(line_id, 5000) for line_id in range(4, 12)],
        ],
    )
    # An updated order may have replacements: one query more looks for them.
    updated = few + 1
    second_visit(client, path, django_assert_num_queries(updated))
    for line_id in range(4, 12):
        record(order, "authorization", [(line_id, 5000)], payment_id=f"PID_{line_id}")
        record(order, "capture", [(line_id, 2500)], payment_id=f"PID_{line_id}")
    for n in range(5):
        note_add(order=order, text=f"note {n}", actor=TEST_ACTOR)
    assert updated <= 12
    second_visit(client, path, django_assert_num_queries(updated))


@pytest.mark.parametrize("cursor", [False, True], ids=["first page", "later page"])
def test_the_looked_up_ids_of_a_search_are_sorted_whole_and_the_page_read_by_key(
    account, login, monkeypatch, cursor
):
    # `LIMIT 26` over the ids would let PostgreSQL walk the sort's index and test every order
    # against them (order_list._read); the few are sorted whole and the page's rows read by key.
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 10**6)  # looked up: the ids drive the list
    add_orders(account, PAGE_SIZE + 5)
    client = login()
    path = f"/{account.aid}/orders/?q=ari&sort=gross"
    if cursor:
        path += "&cursor=" + client.get(path).context["next_cursor"]
    captured = second_visit_queries(client, path)
    by_ids = ('"orders_order"."id" = ANY(', '"orders_order"."id" IN (')
    listed = [q["sql"] for q in captured if " ORDER BY " in q["sql"] and any(i in q["sql"] for i in by_ids)]
    assert listed and not [sql for sql in listed if " LIMIT " in sql], listed
    # The first page counts what it sorted: no query of its own for the count.
    counts = [q for q in captured if "COUNT(" in q["sql"]]
    assert len(counts) == (1 if cursor else 0), counts


def test_a_word_too_many_orders_hold_to_list_is_sorted_by_the_page_query_and_its_count_known(
    account, login, monkeypatch
):
    # Held by more orders than LOOKUP_LIMIT, and by too few of the newest to find a page soon in
    # the list's order: the page's own query asks the trigram index for it (SearchPlan.indexed).
    monkeypatch.setattr(selectors, "PROBE", 0)
    monkeypatch.setattr(selectors, "LOOKUP_LIMIT", 3)
    monkeypatch.setattr("orders.web.order_list.COUNT_LIMIT", 3)
    add_orders(account, PAGE_SIZE + 5)
    make_order(account, customer={"first_name": "Ola"})
    client = login()
    path = f"/{account.aid}/orders/?q=kari&sort=gross"
    visit(client, path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    # Its lookup found more than a count would say: no count query, "More than 3 orders".
    assert response.context["more_than_total"] and response.context["total"] == 3
    assert not [q for q in captured if "COUNT(" in q["sql"]]
    assert "More than 3 orders" in response.content.decode()
    pages = [[o.order_id for o in response.context["orders"]]]
    later = client.get(path + "&cursor=" + response.context["next_cursor"])
    pages.append([o.order_id for o in later.context["orders"]])
    karis = account.orders.filter(customer__first_name="Kari").order_by("currency", "gross_amount", "pk")
    assert pages[0] + pages[1] == [o.order_id for o in karis]
    # A filter may leave fewer: then they are counted.
    filtered = client.get(path + "&currency=SEK")
    assert filtered.context["total"] == 0 and not filtered.context["more_than_total"]


def test_a_search_tested_order_by_order_counts_its_window_in_one_read(account, login, monkeypatch):
    # Every word common: the matches are counted among the list's first orders, read along the
    # list and tested as they are read, with one order more saying whether the list goes on.
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 0)
    client = login()
    add_orders(account, 3)
    captured = second_visit_queries(client, f"/{account.aid}/orders/?q=kari")
    window = [q["sql"] for q in captured if 'AS "hit"' in q["sql"]]
    assert len(window) == 1 and "'KARI'" in window[0], captured
    assert window[0].endswith(f"LIMIT {order_list.COUNT_WINDOW + 1}")
    assert not [q for q in captured if "COUNT(" in q["sql"].upper() or "OFFSET" in q["sql"].upper()]
