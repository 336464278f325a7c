"""Patterns that check input match the whole of it: a trailing newline (which `$` lets through),
a leading one, or digits of another script are refused with the error body, and nothing is
written."""

import copy

import pytest
from django.test import Client

from tests.support.api import assert_error, draft_new, snapshot
from tests.support.orders import SEED_DRAFT

BAD_FORMATS = [
    "ALPHANUMERIC_9\n",
    "NUMERIC_12\n",
    "ALPHANUMERIC_9\r\n",
    "\nALPHANUMERIC_9",
    "ALPHANUMERIC_9 ",
    "NUMERIC_\u0661\u0662",  # Arabic-Indic 12: Python's \d matches it
]


def with_format(fmt: str) -> dict:
    body = copy.deepcopy(SEED_DRAFT)
    body["options"] = {"generate_order_id": fmt}
    return body


@pytest.mark.parametrize("fmt", BAD_FORMATS)
def test_generate_order_id_must_match_exactly(api, fmt):
    before = snapshot()
    error = assert_error(
        api.call("post", "draft_orders", with_format(fmt)), 400, "invalid_request", "ALPHANUMERIC_N"
    )
    assert [e["field"] for e in error["errors"]] == ["options.generate_order_id"]
    assert snapshot() == before


@pytest.mark.parametrize("fmt", BAD_FORMATS)
def test_generate_order_id_must_match_exactly_on_replace(api, fmt):
    draft = draft_new(api)
    before = snapshot()
    error = assert_error(
        api.call("put", f"draft_orders/{draft['id']}", with_format(fmt)), 400, "invalid_request"
    )
    assert [e["field"] for e in error["errors"]] == ["options.generate_order_id"]
    assert snapshot() == before


@pytest.mark.parametrize("currency", ["NOK\n", "\nNOK", "NOK "])
def test_currency_codes_match_exactly(api, currency):
    body = copy.deepcopy(SEED_DRAFT)
    body["order"]["currency"] = currency
    before = snapshot()
    error = assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert [e["field"] for e in error["errors"]] == ["order.currency"]
    assert snapshot() == before


def test_a_line_id_in_the_path_matches_exactly(api):
    draft = draft_new(api)
    before = snapshot()
    body = SEED_DRAFT["order"]["items"][0]
    assert_error(api.call("put", f"draft_orders/{draft['id']}/items/1%0A", body), 404, "not_found")
    assert_error(api.call("delete", f"draft_orders/{draft['id']}/items/1%0A"), 404, "not_found")
    assert snapshot() == before


def test_an_account_id_in_the_path_matches_exactly(api, account):
    """The token's account is compared whole: `T12345678\\n` is not account T12345678."""
    draft = draft_new(api)
    before = snapshot()
    for method, path in [
        ("get", "orders"),
        ("post", "draft_orders"),
        ("put", f"draft_orders/{draft['id']}/complete"),
    ]:
        response = getattr(api, method)(
            f"/v1/accounts/{account.aid}%0A/shopping/{path}", SEED_DRAFT, format="json"
        )
        assert response.status_code in (401, 403, 404), response.content
        assert_error(response, response.status_code)
    assert snapshot() == before


def test_an_account_id_in_a_staff_url_matches_exactly(account, staff):
    client = Client()
    client.force_login(staff["Administrator"])
    assert client.get(f"/{account.aid}/orders/").status_code == 200
    assert client.get(f"/{account.aid}%0A/orders/").status_code == 404
