"""The order's search text (Order.search_text) holds what search looks in, kept by every service
that writes one of those values, and made for existing orders by its migration."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from orders.models import Order
from orders.selectors import order_search
from orders.services.customer import order_customer_update
from orders.services.fixes import line_data_fix, order_data_fix
from orders.services.search_text import SEPARATOR, search_text_of
from orders.services.status import order_details_update
from tests.support.orders import TEST_ACTOR, item, make_order, record, update

KARI = {
    "first_name": "Kari",
    "last_name": "Nordmann",
    "email": "kari@example.no",
    "phone_number": "+4790000001",
}


def held(order: Order) -> set[str]:
    order.refresh_from_db()
    return set(order.search_text.split(SEPARATOR))


def found(order: Order, text: str) -> bool:
    mine = Order.objects.filter(account=order.account)
    return order in order_search(mine, text, account=order.account)


def migrate(migration: str, function: str) -> None:
    """Run a data migration's `function` of `orders.migrations.<migration>` on the test's data."""
    if connection.vendor == "postgresql":  # the test's deferred checks first, as a commit would
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")
    editor = SimpleNamespace(connection=connection, execute=lambda sql: connection.cursor().execute(sql))
    getattr(importlib.import_module(f"orders.migrations.{migration}"), function)(apps, editor)


@pytest.fixture
def order(account):
    return make_order(account, [item(1, id="SKU-CHAIR", description="Stablestol")], customer=KARI)


def test_a_new_order_holds_its_id_customer_and_lines(order):
    # In upper case: a search tests each order's text as it is stored.
    assert held(order) == {
        order.order_id,
        "KARI@EXAMPLE.NO",
        "KARI",
        "NORDMANN",
        "+4790000001",
        "SKU-CHAIR",
        "STABLESTOL",
    }


def test_new_lines_and_payment_ids_are_added_once(order):
    record(order, "authorization", [(1, 39800)], payment_id="PID_A")
    record(order, "capture", [(1, 20000)], payment_id="PID_A")
    update(order, [item(2, 1000, id="SKU-TABLE", description="Bord i teak")])
    order.refresh_from_db()
    assert {"PID_A", "SKU-TABLE", "BORD I TEAK"} <= held(order)
    assert order.search_text.split(SEPARATOR).count("PID_A") == 1
    assert found(order, "pid_a") and found(order, "teak")
    assert held(order) == set(search_text_of(order).split(SEPARATOR))


@pytest.mark.parametrize("change", ["customer service", "admin fix", "API update"])
def test_a_changed_customer_is_found_by_the_new_name_and_no_longer_by_the_old(order, change):
    customer = {**KARI, "last_name": "Berg"}
    if change == "customer service":
        order_customer_update(
            order=order,
            customer=customer,
            shipping_address={},
            billing_address={},
            reason="married",
            actor=TEST_ACTOR,
        )
    elif change == "admin fix":
        order_data_fix(order=order, changes={"customer": customer}, actor=TEST_ACTOR, reason="typo")
    else:
        order_details_update(order=order, changes={"customer": customer}, actor=TEST_ACTOR)
    assert "BERG" in held(order) and "NORDMANN" not in held(order)
    assert found(order, "berg") and not found(order, "nordmann")


def test_a_fixed_line_description_is_found_by_the_new_words(order):
    line_data_fix(line=order.lines.get(), changes={"description": "Hagestol"}, actor=TEST_ACTOR)
    assert found(order, "hagestol") and not found(order, "stablestol")


def test_the_migration_fills_the_search_text_of_orders_as_the_services_do(account):
    orders = [
        make_order(account, [item(1, id="SKU-1"), item(2, 1000, id="SKU-2")], customer=KARI, captured=True),
        make_order(account, customer={"email": "ola@example.no"}),
    ]
    Order.objects.update(search_text="")
    # PostgreSQL fills every order in one statement (FILL_SQL), SQLite order by order.
    migrate("0013_order_search_text", "fill")
    for order in orders:
        assert held(order) == set(search_text_of(order).split(SEPARATOR))
        assert "SKU-1" in held(orders[0]) and "PID_123" in held(orders[0])


def test_the_upper_case_migration_rewrites_older_texts_and_search_finds_them(account):
    orders = [
        make_order(account, [item(1, id="sku-chair", description="Stablestol")], customer=KARI),
        make_order(account, customer={"last_name": "Østby", "email": "ola@example.no"}),
    ]
    # As the texts were written before the migration: in the values' own case.
    for order in orders:
        Order.objects.filter(pk=order.pk).update(search_text=search_text_of(order).lower())
    migrate("0020_search_text_in_upper_case", "upper_case")
    for order in orders:
        assert held(order) == set(search_text_of(order).split(SEPARATOR))
    assert "ØSTBY" in held(orders[1])
    assert found(orders[0], "chair") and found(orders[0], "STABLE") and found(orders[0], "Nordm")
    assert found(orders[1], "østb") and found(orders[1], "ØSTBY") and not found(orders[0], "østb")
    if connection.vendor == "postgresql":  # the index is on the column itself now
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'order_search_text_trgm'")
            assert "(search_text gin_trgm_ops)" in cursor.fetchone()[0]


@pytest.mark.parametrize("word", ["østby", "ØSTBY", "Østb", "ærlig", "ÆRL", "straße", "STRASSE"])
def test_letters_beyond_ascii_are_found_in_any_case(account, word):
    # The search text is upper-cased by Python, as the searched words are: SQLite's UPPER folds
    # ASCII only, and PostgreSQL's keeps ß.
    order = make_order(
        account, customer={"first_name": "Ærlig", "last_name": "Østby", "email": "x@straße.de"}
    )
    assert found(order, word)
