"""The finance page's totals and the CSV add up to the sums computed independently from the
API's order and operation documents."""

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import PaymentOperation
from orders.money import exponent

from .pages import csv_rows, currency_totals, minor, vat_rows
from .scenario import build, expected_from_api


def around_today() -> str:
    today = timezone.localdate()
    return f"period=custom&first={today - dt.timedelta(days=1)}&last={today + dt.timedelta(days=1)}"


@pytest.fixture
def finance_client(client, staff):
    client.force_login(staff["Finance"])
    return client


@pytest.fixture
def generated(api):
    order_ids = build(api)
    return expected_from_api(api, order_ids)


def test_page_totals_equal_the_sums_from_the_api(finance_client, account, generated):
    totals, vat = generated
    for group in ("day", "week", "month"):
        html = finance_client.get(f"/{account.aid}/finance/?{around_today()}&group={group}").content.decode()
        check_page(html, totals, vat)
        # the drill-down behind a figure sums to it
        base = f"/{account.aid}/finance/operations/?{around_today()}&group={group}&currency=SEK"
        for kind, figure in (("capture", "captured"), ("refund", "refunded"), ("net", "net")):
            drill = finance_client.get(f"{base}&kind={kind}").content.decode()
            expected = currency_totals(html)["SEK"][figure]
            assert f'data-figure="{figure}" data-amount="{expected}"' in drill, (group, kind)


def check_page(html: str, totals: dict, vat: dict) -> None:
    page = currency_totals(html)
    assert set(page) == {"NOK", "SEK", "EUR"}
    for currency, sums in totals.items():
        assert page[currency] == {
            "authorized": sums["authorization"],
            "captured": sums["capture"],
            "refunded": sums["refund"],
            "cancelled": sums["cancellation"],
            "net": sums["capture"] - sums["refund"],
        }, currency
    assert vat_rows(html) == vat
    # every VAT rate of the scenario shows up, reversals netting out within their rate
    assert {rate for _, rate in vat} >= {"25 %", "15 %", "12 %", "0 %"}


def test_csv_adds_up_to_the_page(finance_client, account, generated):
    totals, vat = generated

    response = finance_client.get(f"/{account.aid}/finance/export.csv?{around_today()}")

    assert response.streaming and response["Content-Type"].startswith("text/csv")
    rows = csv_rows(b"".join(response.streaming_content))
    by_kind: dict[tuple[str, str], int] = defaultdict(int)
    by_rate: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(["capture", "capture_vat", "refund", "refund_vat"], 0)
    )
    for row in rows:
        currency = row["currency"]
        # amounts are plain numbers in the major unit, negative ones included
        assert Decimal(row["amount"]).as_tuple().exponent == -exponent(currency)
        by_kind[(currency, row["kind"])] += minor(row["amount"], currency)
        if row["kind"] in ("capture", "refund"):
            by_rate[(currency, row["VAT rate"])][row["kind"]] += minor(row["amount"], currency)
            by_rate[(currency, row["VAT rate"])][f"{row['kind']}_vat"] += minor(row["VAT"], currency)
    for currency, sums in totals.items():
        for kind, amount in sums.items():
            assert by_kind[(currency, kind)] == amount, (currency, kind)
    assert by_rate == vat
    assert any(row["amount"].startswith("-") for row in rows), "the scenario has reversal captures"
    # operations the provider refused are history, not money
    failed = {str(pk) for pk in PaymentOperation.objects.filter(success=False).values_list("pk", flat=True)}
    assert failed and not failed & {row["operation id"] for row in rows}


def test_page_query_count_is_constant_in_the_number_of_operations(
    finance_client, account, api, django_assert_max_num_queries, django_assert_num_queries
):
    build(api, seed=1, per_currency=1)
    url = f"/{account.aid}/finance/?{around_today()}"
    finance_client.get(url)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(10) as counted:
        assert finance_client.get(url).status_code == 200
    few = len(counted)
    build(api, seed=2, per_currency=6)
    with django_assert_num_queries(few):
        assert finance_client.get(url).status_code == 200


def test_drill_down_query_count_is_constant(finance_client, account, api, django_assert_num_queries):
    build(api, seed=3, per_currency=1)
    url = f"/{account.aid}/finance/operations/?{around_today()}&currency=NOK"
    finance_client.get(url)
    with CaptureQueriesContext(connection) as counted:
        finance_client.get(url)
    few = len(counted)
    build(api, seed=4, per_currency=5)
    with django_assert_num_queries(few):
        finance_client.get(url)
