"""A finance user in a real browser: opens the finance page, switches period and grouping,
downloads the CSV and follows a drill-down to an order. Playwright drives Debian's Chromium
against live_server; without Chromium this skips, unless REQUIRE_BROWSER=1."""

import csv
import io
from pathlib import Path

import pytest

from tests.support.browser import SCREENSHOTS, sign_in
from tests.support.orders import item, make_order, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_finance_user_switches_period_and_grouping_downloads_csv_and_drills_down(
    page, live_server, account, staff
):
    orders = []
    for currency, rate, gross in (
        ("NOK", 25, 39800),
        ("NOK", 15, 12900),
        ("SEK", 12, 56000),
        ("EUR", 0, 9900),
    ):
        order = make_order(account, [item(1, gross, rate), item(2, 5000, 25)], currency=currency)
        record(order, "authorization", [(1, gross), (2, 5000)])
        record(order, "capture", [(1, gross), (2, 5000)])
        record(order, "refund", [(2, 2500)])
        orders.append(order)
    sign_in(page, staff["Finance"])

    page.goto(f"/{account.aid}/finance/")
    page.get_by_role("heading", name="Finance", exact=True).wait_for()
    assert page.locator("svg.chart__svg").count() == 3  # one chart per currency
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "finance_page.png"), full_page=True)

    # switch the period, then the grouping: the choice is kept in the URL
    page.get_by_role("navigation", name="Period").get_by_role("link", name="Today").click()
    page.wait_for_url("**period=today**")
    page.get_by_role("navigation", name="Grouping").get_by_role("link", name="Week").click()
    page.wait_for_url("**group=week**")
    assert "period=today" in page.url
    nok = page.locator('#currency-totals tr[data-currency="NOK"]')
    assert nok.locator('[data-figure="captured"]').get_attribute("data-amount") == str(39800 + 12900 + 10000)
    assert nok.locator('[data-figure="refunded"]').get_attribute("data-amount") == "5000"

    # the CSV of the page adds up to the same numbers
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text("utf-8-sig"))))
    captured_nok = sum(
        round(float(r["amount"]) * 100) for r in rows if r["currency"] == "NOK" and r["kind"] == "capture"
    )
    assert captured_nok == 39800 + 12900 + 10000

    # drill down from the SEK captured figure to its operations, then to the order
    page.locator('#currency-totals tr[data-currency="SEK"] [data-figure="captured"] a').click()
    page.get_by_role("heading", name="Operations behind the figure").wait_for()
    assert page.locator("#drill-rows tbody tr").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "finance_operations.png"), full_page=True)
    page.locator("#drill-rows tbody tr a").first.click()
    page.get_by_role("heading", name=f"Order {orders[2].order_id}").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "finance_drill_to_order.png"), full_page=True)
