"""VAT that does not add up is a warning, not a refusal: Dintero's own documented bodies are
taken as sent. The warning is kept on the line (answered as the item's `vat_warning`), shown on
the staff order page and counted by the books check. The sign of VAT and VAT beyond the gross
are still 400s: the ledger (and the database's check constraints) hold them.

Dintero: https://docs.dintero.com/api-reference/draftitems/add-item-to-draft (the add-item
example: 39800 with 5584 VAT at 25 %, `tax_basis` 27920, `exempt`, `included_in_price`,
`tax_code`, `tax_group`, `amount_dwh`, `tax_basis_dwh`),
https://docs.dintero.com/docs/order-management/order-update-refund (the guide's bodies, whose VAT
adds up and warns of nothing).
"""

import copy
from decimal import Decimal

import pytest
from django.urls import reverse

from finance.books import vat_warning_lines
from orders.inputs import TaxLine, vat_warning
from orders.models import OrderLine
from orders.money import format_money
from tests.support.api import assert_error, complete, draft_new, snapshot
from tests.support.browser import SCREENSHOTS, sign_in
from tests.support.orders import SEED_DRAFT, draft_body, item, make_order


def kr(amount: int) -> str:
    return format_money(amount, "NOK")


# Dintero's add-item example, verbatim.
DINTERO_ADD_ITEM = {
    "gross_amount": 39800,
    "tax_lines": [
        {
            "amount": 5584,
            "amount_dwh": "5584.0440",
            "exempt": False,
            "included_in_price": True,
            "percentage": 25,
            "tax_basis": 27920,
            "tax_basis_dwh": "27920.22",
            "tax_code": "3",
            "tax_group": "Vmva-høy",
        }
    ],
    "id": "175938",
    "line_id": 1,
}


@pytest.fixture
def warned_order(api):
    """An order completed from a draft holding Dintero's add-item example."""
    draft = draft_new(api, draft_body([]))
    response = api.call("post", f"draft_orders/{draft['id']}/items", copy.deepcopy(DINTERO_ADD_ITEM))
    assert response.status_code == 201, response.content
    response = complete(api, draft["id"])
    assert response.status_code == 200, response.content
    return response.json()["orders"][0]


def test_dinteros_add_item_example_is_taken_with_a_warning(api):
    draft = draft_new(api, draft_body([]))
    response = api.call("post", f"draft_orders/{draft['id']}/items", copy.deepcopy(DINTERO_ADD_ITEM))
    assert response.status_code == 201, response.content
    shown = response.json()["order"]["items"][0]
    assert shown["tax_lines"] == DINTERO_ADD_ITEM["tax_lines"]
    assert "39800 at 25 % contains 7960 VAT, not 5584" in shown["vat_warning"]
    assert "not 25 % of its tax_basis 27920 (6980)" in shown["vat_warning"]


def test_the_warning_is_kept_on_the_order_line(api, warned_order):
    answered = warned_order["items"][0]
    assert answered["tax_amount"] == 5584
    assert "contains 7960 VAT" in answered["vat_warning"]
    line = OrderLine.objects.get(order__order_id=warned_order["order_id"])
    assert line.vat_warning == answered["vat_warning"]
    assert line.tax_amount == 5584


def test_the_guides_bodies_warn_of_nothing(api):
    draft = draft_new(api, copy.deepcopy(SEED_DRAFT))
    assert "vat_warning" not in draft["order"]["items"][0]
    order = complete(api, draft["id"]).json()["orders"][0]
    assert "vat_warning" not in order["items"][0]


@pytest.mark.parametrize(
    "gross, quantity, taxes, words",
    [
        pytest.param(39800, 2, [(7960, 25, {})], None, id="contained"),
        pytest.param(39800, 2, [(7962, 25, {})], None, id="rounded-per-unit"),
        pytest.param(39800, 2, [(7963, 25, {})], "contains 7960 VAT, not 7963", id="beyond-rounding"),
        pytest.param(10000, 1, [(0, 25, {"exempt": True})], None, id="exempt"),
        pytest.param(10000, 1, [(2000, 25, {"exempt": True})], "exempt from VAT", id="exempt-with-vat"),
        pytest.param(10000, 1, [(2000, 25, {"tax_basis": 8000})], None, id="basis-agrees"),
        pytest.param(
            10000, 1, [(2000, 25, {"tax_basis": 9000})], "tax_basis 9000 (2250)", id="basis-disagrees"
        ),
        pytest.param(10000, 1, [(1000, 25, {}), (500, 12, {})], None, id="two-rates"),
        pytest.param(10000, 1, [], None, id="no-vat"),
    ],
)
def test_the_rule(gross, quantity, taxes, words):
    lines = [TaxLine(amount, Decimal(rate), extra) for amount, rate, extra in taxes]
    warning = vat_warning(gross, quantity, lines)
    if words is None:
        assert warning == ""
    else:
        assert words in warning


@pytest.mark.parametrize(
    "tax_lines, field",
    [
        pytest.param([{"amount": -7960, "percentage": 25}], "order.items[0].tax_lines[0].amount", id="sign"),
        pytest.param([{"amount": 39801, "percentage": 25}], "order.items[0].tax_lines", id="beyond-gross"),
        pytest.param(
            [{"amount": 30000, "percentage": 25}, {"amount": 9801, "percentage": 12}],
            "order.items[0].tax_lines",
            id="sum-beyond-gross",
        ),
    ],
)
def test_what_the_ledger_cannot_hold_is_still_a_400(api, tax_lines, field):
    before = snapshot()
    body = draft_body([item(1, 39800, tax_lines=tax_lines)])
    error = assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert field in [e["field"] for e in error["errors"]]
    assert snapshot() == before


def test_the_staff_order_page_shows_the_warning(account, login, warned_order):
    page = login("Customer service").get(
        reverse("order-detail", args=[account.aid, warned_order["order_id"]])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="vat-warnings"' in text
    # Staff read the amounts as money.
    assert f"{kr(39800)} at 25 % contains {kr(7960)} VAT, not {kr(5584)}" in text


def test_an_order_without_warnings_shows_none(account, login, api):
    order = complete(api, draft_new(api)["id"]).json()["orders"][0]
    page = login("Customer service").get(reverse("order-detail", args=[account.aid, order["order_id"]]))
    assert 'data-testid="vat-warnings"' not in page.content.decode()


def test_the_books_check_counts_and_lists_the_lines(account, login, api, warned_order):
    complete(api, draft_new(api)["id"])  # an order whose VAT adds up: not listed
    page = login("Finance").get(reverse("books-check", args=[account.aid]))
    assert page.status_code == 200
    assert page.context["problem_count"] == 1
    rows = page.context["vat_lines"]
    assert [(row["line"].order.order_id, row["line"].line_id) for row in rows] == [
        (warned_order["order_id"], 1)
    ]
    text = page.content.decode()
    assert 'id="vat-warnings"' in text and warned_order["order_id"] in text
    assert f"not {kr(5584)}" in text
    assert "Lines whose VAT does not add up (1)" in text


def test_the_books_check_lists_only_its_accounts_lines(account, other_account, warned_order):
    assert [line.order.order_id for line in vat_warning_lines(account)] == [warned_order["order_id"]]
    assert list(vat_warning_lines(other_account)) == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_read_the_warning_on_the_order_page_and_in_the_books_check(page, account, staff):
    order = make_order(account, [copy.deepcopy(DINTERO_ADD_ITEM), item(2, 10000)])
    sign_in(page, staff["Finance"])
    page.goto(reverse("order-detail", args=[account.aid, order.order_id]))
    notice = page.get_by_test_id("vat-warnings")
    notice.wait_for()
    assert "Line 1" in notice.inner_text() and f"contains {kr(7960)} VAT" in notice.inner_text()
    assert "Line 2" not in notice.inner_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "order_vat_warning.png"), full_page=True)
    page.goto(reverse("books-check", args=[account.aid]))
    table = page.locator("#vat-warnings")
    table.wait_for()
    assert order.order_id in table.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "books_vat_warnings.png"), full_page=True)
    page.get_by_role("link", name=order.order_id).first.click()
    page.get_by_test_id("vat-warnings").wait_for()
