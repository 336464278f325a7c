"""Odd input never gives a 500: every answer is the JSON error body, and nothing is written."""

import json

import pytest

from tests.support.api import assert_error, draft_new, snapshot
from tests.support.orders import SEED_DRAFT, make_order, op_body


def raw_post(api, path: str, raw: bytes):
    return api.post(api.url(path), raw, content_type="application/json")


DEEP = b'{"order": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DEEP, id="deeply-nested"),
        pytest.param(
            b'{"order": {"currency": "NOK", "items": [' + b"9" * 5000 + b"]}}", id="5000-digit-number"
        ),
        pytest.param(
            b'{"order": {"currency": "NOK", "items": [{"gross_amount": 1e400}]}}', id="float-overflow"
        ),
        pytest.param(b'{"order": {"currency": "NOK", "items": [{"gross_amount": Infinity}]}}', id="infinity"),
        pytest.param(b'{"order": {"currency": "NOK\\u0000", "items": []}}', id="nul-in-currency"),
        pytest.param(b'{"order": {"currency": "\\ud800", "items": []}}', id="lone-surrogate"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="empty-list"),
        pytest.param(b'"\\u0000"', id="nul-string"),
        pytest.param('{"order": "\u00e6\u00f8\u00e5 \U0001f600"}'.encode(), id="unicode"),
    ],
)
def test_odd_draft_bodies_are_400(api, raw):
    before = snapshot()
    assert_error(raw_post(api, "draft_orders", raw), 400, "invalid_request")
    assert snapshot() == before


def garbage(depth: int = 30):
    value: object = {"a": [1, "x", None, True, 1.5]}
    for _ in range(depth):
        value = {"nested": [value, {"k": value}]} if depth < 5 else {"nested": [value]}
    return value


@pytest.mark.parametrize(
    "text",
    [
        "Stablestol \u00e6\u00f8\u00e5 \U0001f600 \u202e",
        "\u0000",
        "a\u0000b",
        "\ud800",
        "x" * 501,
    ],
)
def test_odd_strings_in_lines_never_500(api, text):
    body = json.loads(json.dumps(SEED_DRAFT))
    body["order"]["items"][0]["description"] = text
    body["order"]["metadata"] = {text: text, "deep": garbage()}
    raw = json.dumps(body).encode()
    response = raw_post(api, "draft_orders", raw)
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        # What was stored can be read back and completed.
        draft_id = response.json()["id"]
        assert api.call("get", f"draft_orders/{draft_id}").json()["order"]["items"][0]["description"] == text
        done = api.call("put", f"draft_orders/{draft_id}/complete")
        assert done.status_code == 200, done.content
        assert done.json()["orders"][0]["items"][0]["description"] == text
    else:
        assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize("text", ["\u0000", "PID\u0000", "\ud800", "\U0001f600"])
def test_odd_payment_ids_never_500(api, account, text):
    oid = make_order(account).order_id
    raw = json.dumps(op_body([(1, 100)], payment_id=text)).encode()
    response = raw_post(api, f"orders/{oid}/authorizations", raw)
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert_error(response, 400, "invalid_request")


@pytest.mark.parametrize(
    "params",
    [
        {"status": "NOPE"},
        {"payment_status": "x" * 300},
        {"created_at_gte": "yesterday"},
        {"created_at_lte": "2024-02-30T00:00:00Z"},
        {"limit": "-1"},
        {"limit": "many"},
        {"limit": "100000"},
        {"cursor": "not-a-cursor"},
        {"cursor": "\u0000"},
        {"search": "\u0000"},
        {"order_id": "\u0000"},
        {"currency": "x" * 1000},
    ],
)
def test_odd_list_queries_never_500(api, account, params):
    make_order(account)
    response = api.call("get", "orders", params)
    assert response.status_code in (200, 400, 404), response.content
    if response.status_code == 200:
        assert "orders" in response.json()
    else:
        assert_error(response, response.status_code)


@pytest.mark.parametrize("query", ["payment_id=%ED%A0%80", "search=%FF%FE", "status=%00", "limit=1e9"])
def test_undecodable_query_strings_never_500(api, account, query):
    make_order(account)
    response = api.get(api.url("orders") + "?" + query)
    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize(
    "path",
    [
        "/v1/",
        "/v1/nothing",
        "/v1/accounts/T12345678/shopping/nothing",
        "/v1/accounts/T12345678/shopping/orders/X/nothing",
        "/v1/accounts/T12345678/shopping/draft_orders/x/items/not-a-number",
        "/v1/accounts/T12345678/auth/nothing",
    ],
)
def test_unknown_urls_under_v1_answer_the_json_error_body(api, path):
    assert_error(api.get(path), 404, "not_found")
    assert_error(api.post(path, {}, format="json"), 404, "not_found")


@pytest.mark.parametrize("order_id", ["NOSUCHORD", "%00", "\u00e6\u00f8\u00e5", "x" * 300, "..", "%2F"])
def test_odd_order_ids_in_paths_are_404(api, order_id):
    assert_error(api.call("get", f"orders/{order_id}"), 404, "not_found")
    assert_error(api.call("post", f"orders/{order_id}/captures", op_body([(1, 1)])), 404)


def test_odd_options_order_id(api):
    for order_id in ["\u0000", "x" * 65, 123, ["a"], {"a": 1}]:
        body = {"options": {"order_id": order_id}, "order": SEED_DRAFT["order"]}
        response = api.call("post", "draft_orders", body)
        assert_error(response, 400, "invalid_request")


def test_a_huge_number_of_lines_is_handled(api):
    items = [{**SEED_DRAFT["order"]["items"][0], "line_id": n} for n in range(1, 301)]
    draft = draft_new(api, {"options": {}, "order": {"currency": "NOK", "items": items}})
    done = api.call("put", f"draft_orders/{draft['id']}/complete")
    assert done.status_code == 200
    assert done.json()["orders"][0]["gross_amount"] == 300 * 39800
