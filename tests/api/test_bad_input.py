"""Every kind of bad input the API has been seen to choke on, each case by name: the answer is a
4xx with the spec's error body, never a 500, and nothing is written (orders, lines, drafts,
operations, events and idempotency records are compared before and after).

The fuzzing in test_fuzz.py looks for more of the same at random; these are the cases it must
never find again."""

import base64
import copy
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.db import connection
from rest_framework.test import APIClient

from devtools.benchmark.measure import free_port
from tests.support.api import ShoppingApi, assert_error, snapshot, token_for
from tests.support.factories import AID, AccountFactory, api_client_for
from tests.support.once import shared
from tests.support.orders import SEED_DRAFT, SEED_ITEM, make_order, op_body

NON_FINITE = [
    "1e309",  # json.loads makes it infinity
    "-1e309",
    "1E400",
    "123456789e999999",
    "NaN",
    "Infinity",
    "-Infinity",
]
UNSTORABLE = [
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',  # a lone surrogate: not Unicode
    '"x\\udfff"',
    '{"\\u0000": 1}',
    '{"\\ud800": "key"}',
]
RAW = "__raw__"


def with_raw(body: dict, path: tuple, raw: str) -> bytes:
    """`body` as JSON text with the value at `path` (created if missing) replaced by `raw`, a
    piece of JSON text that Python's json module would not write."""
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    node[path[-1]] = RAW
    return json.dumps(body).replace(f'"{RAW}"', raw).encode()


def raw_call(api, method: str, path: str, raw: bytes, content_type: str = "application/json", **extra):
    return api.generic(method, api.url(path), raw, content_type=content_type, **extra)


# Built once for the tests that ask for the same ones (tests/support/once.py): the hundreds of
# cases here each need an account, a token, an order and a draft as they were made.
@shared
def account():
    return AccountFactory(aid=AID, name="Demo shop")


@shared
def api_token(account):
    api_client, secret = api_client_for(account)
    return token_for(api_client, secret, account.aid)


@pytest.fixture
def api(account, api_token):
    return ShoppingApi(account.aid, api_token)


@shared
def order(account):
    return make_order(account)


@shared
def draft(account, api_token):
    response = ShoppingApi(account.aid, api_token).call("post", "draft_orders", SEED_DRAFT)
    assert response.status_code == 201, response.content
    return response.json()


def _locations(draft_id: str, order_id: str) -> list[tuple[str, str, dict, tuple]]:
    """(method, path, a valid body, where to put the bad value) for every object field of every
    write."""
    item = copy.deepcopy(SEED_ITEM)
    new_item = {**item, "line_id": 2}
    op = op_body([(1, 100)])
    order_fields = ["metadata", "customer", "shipping_address", "billing_address", "store"]
    drafts = [("POST", "draft_orders", SEED_DRAFT, ("order", field, "x")) for field in order_fields]
    drafts += [
        ("POST", "draft_orders", SEED_DRAFT, ("order", "items", 0, "metadata", "x")),
        ("POST", "draft_orders", SEED_DRAFT, ("order", "items", 0, "tax_lines", 0, "percentage")),
        ("POST", "draft_orders", SEED_DRAFT, ("order", "items", 0, "gross_amount")),
        ("POST", "draft_orders", SEED_DRAFT, ("options", "x")),
        ("PUT", f"draft_orders/{draft_id}", SEED_DRAFT, ("order", "metadata", "x")),
        ("POST", f"draft_orders/{draft_id}/items", new_item, ("metadata", "x")),
        ("PUT", f"draft_orders/{draft_id}/items/1", item, ("metadata", "x")),
    ]
    operations = [
        ("POST", f"orders/{order_id}/{kind}", op, where)
        for kind in ("authorizations", "captures", "refunds", "cancellations")
        for where in (("payment_details", "x"), ("metadata", "x"), ("items", 0, "amount"))
    ]
    return [
        *drafts,
        *operations,
        ("POST", f"orders/{order_id}/cancel", {"reason": "changed mind"}, ("x",)),
        ("POST", f"orders/{order_id}/refund", op, ("payment_details", "x")),
    ]


LOCATIONS = len(_locations("D", "O"))


def _location_id(index: int) -> str:
    method, path, _, where = _locations("D", "O")[index]
    return f"{method} {path} {'.'.join(map(str, where))}"


@pytest.mark.parametrize("raw", NON_FINITE + UNSTORABLE)
@pytest.mark.parametrize("index", range(LOCATIONS), ids=_location_id)
def test_numbers_that_are_not_finite_and_unstorable_text_are_refused_when_parsed(
    api, draft, order, index, raw
):
    method, path, body, where = _locations(draft["id"], order.order_id)[index]
    before = snapshot()
    response = raw_call(api, method, path, with_raw(body, where, raw))
    assert_error(response, 400, "invalid_request", "JSON parse error")
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["1e309", "NaN", '"\\u0000"', '"\\ud800"'])
def test_the_token_endpoint_parses_the_same_way(account, client, raw):
    api_client, secret = api_client_for(account)
    body = {"grant_type": "client_credentials", "audience": f"http://testserver/v1/accounts/{account.aid}"}
    credentials = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    response = client.post(
        f"/v1/accounts/{account.aid}/auth/token",
        with_raw(body, ("x",), raw),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert_error(response, 400, "invalid_request", "JSON parse error")


def test_finite_numbers_and_large_integers_in_objects_are_kept(api):
    body = copy.deepcopy(SEED_DRAFT)
    body["order"]["metadata"] = {"big": 10**30, "small": 1e-400, "float": 1.5e308, "negative": -(10**40)}
    response = api.call("post", "draft_orders", body)
    assert response.status_code == 201, response.content
    assert response.json()["order"]["metadata"] == {
        "big": 10**30,
        "small": 0.0,
        "float": 1.5e308,
        "negative": -(10**40),
    }


# Cursors ------------------------------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


TAMPERED_CURSORS = [
    "not-a-cursor",
    "%%%",
    _cursor("p=garbage"),
    _cursor("p=2024-02-30 10:00:00%2B00:00"),  # no such day
    _cursor("p=2024-01-01 10:00:00"),  # no time zone: never handed out
    _cursor("o=1&r=1&p=x"),
    _cursor("p=2024-01-01%00"),
    _cursor("p=" + "9" * 5000),
    _cursor("p=0001-01-01 00:00:00%2B05:00"),  # before year 1 in UTC
    _cursor("p=9999-12-31 23:59:59-05:00"),  # after year 9999 in UTC
    _cursor("o=" + "9" * 5000),
    _cursor("r=x"),
    _cursor("o=-1"),
]


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS)
@pytest.mark.parametrize("listing", ["orders", "draft_orders"])
def test_a_tampered_cursor_is_a_400(api, order, draft, listing, cursor):
    response = api.get(api.url(listing) + f"?limit=1&cursor={cursor}")
    error = assert_error(response, 400, "invalid_request", "cursor")
    assert error["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("listing", ["orders", "draft_orders"])
def test_the_cursors_the_api_hands_out_still_work(api, account, listing):
    for _ in range(3):
        make_order(account) if listing == "orders" else api.call("post", "draft_orders", SEED_DRAFT)
    seen, url = [], api.url(listing) + "?limit=1"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()[listing]]
        url = response.json()["next"]
    assert len(seen) == len(set(seen)) == 3
    previous = api.get(response.json()["previous"])
    assert previous.status_code == 200, previous.content


# Query strings, paths and headers ------------------------------------------------------------------

LIST_PARAMS = [
    "order_id",
    "status",
    "payment_status",
    "currency",
    "payment_id",
    "created_at_gte",
    "created_at_lte",
    "search",
    "cursor",
    "limit",
]


@pytest.mark.parametrize("param", LIST_PARAMS)
@pytest.mark.parametrize("value", ["%00", "a%00b"])
def test_a_nul_in_a_query_parameter_is_a_400(api, order, param, value):
    error = assert_error(api.get(api.url("orders") + f"?{param}={value}"), 400, "invalid_request", "NUL")
    assert error["errors"] == [{"field": param, "message": error["message"]}]


def test_a_nul_in_a_query_parameter_name_or_of_a_write_is_a_400(api, order):
    assert_error(api.get(api.url("orders") + "?a%00b=1"), 400, "invalid_request")
    before = snapshot()
    response = api.post(
        api.url(f"orders/{order.order_id}/captures") + "?x=%00", op_body([(1, 1)]), format="json"
    )
    assert_error(response, 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    "query",
    [
        "created_at_gte=0001-01-01T00:00:00%2B05:00",
        "created_at_lte=9999-12-31T23:59:59-05:00",
        "created_at_gte=2024-02-30T00:00:00Z",
        "created_at_lte=yesterday",
    ],
)
def test_dates_no_database_can_hold_are_a_400(api, order, query):
    assert_error(api.get(api.url("orders") + "?" + query), 400, "invalid_request", "created_at")


@pytest.mark.parametrize("limit", [str(10**20), "1001", "-5", "0", "1e309", "NaN", "many", " 5"])
def test_a_limit_out_of_dintero_range_is_a_400(api, account, limit):
    make_order(account)
    error = assert_error(api.get(api.url("orders") + f"?limit={limit}"), 400, "invalid_request", "limit")
    assert error["errors"][0]["field"] == "limit"


def test_a_limit_above_a_page_pages_by_a_hundred(api, account):
    make_order(account)
    response = api.get(api.url("orders") + "?limit=1000")
    assert response.status_code == 200, response.content


def test_too_many_query_parameters_is_the_json_error_body(api):
    query = "&".join(f"k{n}=1" for n in range(1100))
    assert_error(api.get(api.url("orders") + "?" + query), 400, "invalid_request")


PATHS_WITH_IDS = [
    "orders/{x}",
    "orders/{x}/cancel",
    "orders/{x}/events",
    "orders/{x}/captures",
    "orders/{o}/captures/{x}",
    "orders/{x}/refund",
    "draft_orders/{x}",
    "draft_orders/{x}/complete",
    "draft_orders/{x}/items",
    "draft_orders/{d}/items/{x}",
]


@pytest.mark.parametrize("value", ["%00", "a%00b", "%ED%A0%80"])
@pytest.mark.parametrize("template", PATHS_WITH_IDS)
def test_a_nul_in_a_path_is_a_404(api, order, draft, template, value):
    path = template.format(x=value, o=order.order_id, d=draft["id"])
    before = snapshot()
    for method in ("get", "post", "put", "delete"):
        response = getattr(api, method)(api.url(path), {}, format="json")
        assert response.status_code in (404, 405), (method, path, response.content)
        assert_error(response, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize(
    "path",
    [
        "/v1/accounts/%00/auth/token",
        "/v1/accounts/T1234%005678/shopping/orders",
        "/v1/accounts/{aid}/payments/orders/%00/sessions",
        "/v1/accounts/{aid}/payments/orders/%00/capture",
    ],
)
def test_a_nul_in_an_account_or_payments_path_is_a_404(api, account, path):
    assert_error(api.post(path.format(aid=account.aid), {}, format="json"), 404, "not_found")


@pytest.mark.parametrize("key", ["a\x00b", "\x00", "k" * 10_000, "", "   "])
def test_an_idempotency_key_no_database_can_hold_is_a_400(api, key):
    before = snapshot()
    response = api.call("post", "draft_orders", SEED_DRAFT, HTTP_IDEMPOTENCY_KEY=key)
    error = assert_error(response, 400, "invalid_request", "Idempotency-Key")
    assert error["errors"][0]["field"] == "Idempotency-Key"
    assert snapshot() == before


def test_an_idempotency_key_outside_ascii_is_kept(api):
    key = "bestilling-æøå"
    first = api.call("post", "draft_orders", SEED_DRAFT, HTTP_IDEMPOTENCY_KEY=key)
    again = api.call("post", "draft_orders", SEED_DRAFT, HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("header", ["HTTP_X_REQUEST_ID", "HTTP_USER_AGENT", "HTTP_IF_MATCH", "HTTP_COOKIE"])
def test_a_nul_in_any_header_is_a_400(api, header):
    before = snapshot()
    response = api.call("post", "draft_orders", SEED_DRAFT, **{header: "x\x00y"})
    assert_error(response, 400, "invalid_request", "NUL")
    assert snapshot() == before


def test_a_nul_in_the_authorization_header_is_a_400(account):
    response = APIClient().post(
        f"/v1/accounts/{account.aid}/shopping/draft_orders",
        SEED_DRAFT,
        format="json",
        HTTP_AUTHORIZATION="Bearer abc\x00def",
    )
    assert_error(response, 400, "invalid_request", "Authorization")


# Bodies -------------------------------------------------------------------------------------------

TEN_MB = b'{"order": {"currency": "NOK", "items": [], "metadata": {"x": "' + b"x" * 10_000_000 + b'"}}}'


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "draft_orders"),
        ("PUT", "draft_orders/{d}"),
        ("POST", "draft_orders/{d}/items"),
        ("POST", "orders/{o}/captures"),
        ("POST", "orders/{o}/cancel"),
    ],
)
def test_a_10_mb_body_is_a_413_with_the_error_body(api, order, draft, method, path):
    before = snapshot()
    response = raw_call(api, method, path.format(d=draft["id"], o=order.order_id), TEN_MB)
    assert_error(response, 413, "request_too_large", "1048576 bytes")
    assert snapshot() == before


def test_the_token_endpoint_refuses_a_10_mb_body_with_the_error_body(client, account):
    response = client.post(f"/v1/accounts/{account.aid}/auth/token", TEN_MB, content_type="application/json")
    assert_error(response, 413, "request_too_large")


def test_the_limit_is_the_setting(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = copy.deepcopy(SEED_DRAFT)
    body["order"]["metadata"] = {"pad": ""}
    size = len(json.dumps(body).encode())
    body["order"]["metadata"]["pad"] = "x" * (4096 - size)
    at_limit = json.dumps(body).encode()
    assert len(at_limit) == 4096
    assert raw_call(api, "POST", "draft_orders", at_limit).status_code == 201
    before = snapshot()
    assert_error(raw_call(api, "POST", "draft_orders", at_limit + b" "), 413, "request_too_large", "4096")
    # Content-Length is believed: nothing is read when it announces too much.
    response = raw_call(api, "POST", "draft_orders", at_limit, CONTENT_LENGTH="4097")
    assert_error(response, 413, "request_too_large")
    assert snapshot() == before


def _chunked(body: bytes, *, terminated: bool = True) -> dict:
    """The environ of a chunked request as gunicorn hands it over: no Content-Length, the chunks
    already decoded, and the input marked as ending."""
    extra = {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body)}
    if terminated:
        extra["wsgi.input_terminated"] = True
    return extra


def test_a_chunked_body_is_read_up_to_the_limit(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = json.dumps(SEED_DRAFT).encode()
    created = raw_call(api, "POST", "draft_orders", body, **_chunked(body))
    assert created.status_code == 201, created.content
    assert created.json()["order"]["items"][0]["gross_amount"] == 39800
    before = snapshot()
    big = body[:-2] + b', "metadata": {"x": "' + b"x" * 5000 + b'"}}}'
    assert_error(raw_call(api, "POST", "draft_orders", big, **_chunked(big)), 413, "request_too_large")
    # A server that does not decode chunks leaves Django an empty body: say so.
    response = raw_call(api, "POST", "draft_orders", body, **_chunked(body, terminated=False))
    assert_error(response, 411, "length_required", "Content-Length")
    assert snapshot() == before


NESTED = [
    pytest.param(b'{"order": {"metadata": ' + b"[" * 100 + b"]" * 100 + b"}}", id="100-levels"),
    pytest.param(b'{"order": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="100000-levels"),
    pytest.param(b'{"order": ' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"}", id="50000-objects"),
]


@pytest.mark.parametrize("raw", NESTED)
def test_deeply_nested_json_is_a_400(api, order, raw):
    before = snapshot()
    assert_error(raw_call(api, "POST", "draft_orders", raw), 400, "invalid_request", "nested")
    assert_error(raw_call(api, "POST", f"orders/{order.order_id}/captures", raw), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    "raw, content_type",
    [
        (b'{"order": {"currency": "\xff\xfe"}}', "application/json"),
        (b"\xef\xbb\xbf" + json.dumps(SEED_DRAFT).encode(), "application/json"),  # a byte-order mark
        (json.dumps(SEED_DRAFT).encode("utf-16"), "application/json"),
        (b'{"order": {"currency": "NOK"}}', "application/json; charset=bz2_codec"),
    ],
)
def test_bodies_that_are_not_utf_8_are_a_400(api, raw, content_type):
    before = snapshot()
    assert_error(raw_call(api, "POST", "draft_orders", raw, content_type), 400, "invalid_request")
    assert snapshot() == before


def test_a_body_in_a_declared_charset_is_read_in_it(api):
    body = copy.deepcopy(SEED_DRAFT)
    raw = json.dumps(body, ensure_ascii=False).encode("latin-1")
    response = raw_call(api, "POST", "draft_orders", raw, "application/json; charset=latin-1")
    assert response.status_code == 201, response.content
    assert response.json()["order"]["items"][0]["description"] == SEED_ITEM["description"]


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/json-patch+json",
    ],
)
def test_wrong_content_types_are_a_415(api, order, content_type):
    before = snapshot()
    raw = json.dumps(SEED_DRAFT).encode()
    assert_error(raw_call(api, "POST", "draft_orders", raw, content_type), 415, "unsupported_media_type")
    raw = json.dumps(op_body([(1, 1)])).encode()
    response = raw_call(api, "POST", f"orders/{order.order_id}/captures", raw, content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert snapshot() == before


def _draft_with(**order_fields) -> dict:
    body = copy.deepcopy(SEED_DRAFT)
    body["order"].update(order_fields)
    return body


def _item_with(**fields) -> dict:
    return _draft_with(items=[{**copy.deepcopy(SEED_ITEM), **fields}])


WRONG_SHAPES = [
    pytest.param([], id="body-list"),
    pytest.param([SEED_DRAFT], id="body-list-of-drafts"),
    pytest.param("draft", id="body-string"),
    pytest.param(12, id="body-number"),
    pytest.param({"order": []}, id="order-list"),
    pytest.param({"options": [], "order": SEED_DRAFT["order"]}, id="options-list"),
    pytest.param(_draft_with(items={}), id="items-object"),
    pytest.param(_draft_with(items=[[]]), id="item-list"),
    pytest.param(_draft_with(items=["x"]), id="item-string"),
    pytest.param(_draft_with(metadata=[]), id="metadata-list"),
    pytest.param(_draft_with(customer="Kari"), id="customer-string"),
    pytest.param(_draft_with(shipping_address=[1]), id="address-list"),
    pytest.param(_draft_with(store=7), id="store-number"),
    pytest.param(_item_with(tax_lines={}), id="tax-lines-object"),
    pytest.param(_item_with(tax_lines=[[]]), id="tax-line-list"),
    pytest.param(_item_with(related_item=[]), id="related-item-list"),
    pytest.param(_item_with(metadata="x"), id="item-metadata-string"),
]


@pytest.mark.parametrize("body", WRONG_SHAPES)
def test_arrays_or_scalars_where_objects_belong_are_a_400(api, body):
    before = snapshot()
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"items": {}, "payment_details": {"payment_id": "P"}},
        {"items": [[1, 100]], "payment_details": {"payment_id": "P"}},
        {"items": [{"line_id": 1, "amount": 100}], "payment_details": []},
        {"items": [{"line_id": 1, "amount": 100}], "payment_details": {"payment_id": ["P"]}},
        {"items": [{"line_id": 1, "amount": 100}], "payment_details": {"payment_id": "P"}, "metadata": []},
        {"items": [{"line_id": [1], "amount": {"v": 100}}], "payment_details": {"payment_id": "P"}},
    ],
)
def test_wrong_shapes_of_an_operation_are_a_400(api, order, body):
    before = snapshot()
    assert_error(api.call("post", f"orders/{order.order_id}/authorizations", body), 400, "invalid_request")
    assert snapshot() == before


# Numbers and lengths ------------------------------------------------------------------------------

HUGE = 10**30


@pytest.mark.parametrize(
    "items",
    [
        [{"line_id": 1, "amount": HUGE}],
        [{"line_id": 1, "amount": -HUGE}],
        [{"line_id": 1, "amount": 10**15}],
        [{"line_id": HUGE, "amount": 1}],
        [{"line_id": 2**31, "amount": 1}],
        [{"line_id": -HUGE, "amount": 1}],
        [{"line_id": 1, "amount": 1.0e300}],
    ],
)
def test_huge_amounts_and_line_ids_of_an_operation_are_a_400(api, order, items):
    before = snapshot()
    body = {"items": items, "payment_details": {"payment_id": "PID"}}
    for kind in ("authorizations", "captures", "refunds", "cancellations"):
        assert_error(api.call("post", f"orders/{order.order_id}/{kind}", body), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"gross_amount": HUGE},
        {"gross_amount": 10**15},
        {"line_id": HUGE},
        {"line_id": 2**31},
        {"quantity": HUGE},
        {"quantity": 2**31},
        {"tax_lines": [{"amount": HUGE, "percentage": 25}]},
        {"tax_lines": [{"amount": 7960, "percentage": 1e300}]},
        {"tax_lines": [{"amount": 7960, "percentage": HUGE}]},
        {"related_item": {"line_id": HUGE, "type": "reversed"}, "gross_amount": -1},
    ],
)
def test_huge_numbers_in_a_line_are_a_400(api, draft, fields):
    before = snapshot()
    assert_error(api.call("post", "draft_orders", _item_with(**fields)), 400, "invalid_request")
    item = {**copy.deepcopy(SEED_ITEM), "line_id": 2, **fields}
    assert_error(api.call("post", f"draft_orders/{draft['id']}/items", item), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize("line_id", [str(HUGE), str(2**31), str(2**63), "9" * 400])
def test_huge_line_ids_in_a_path_are_a_4xx(api, draft, line_id):
    before = snapshot()
    item = copy.deepcopy(SEED_ITEM)
    response = api.call("put", f"draft_orders/{draft['id']}/items/{line_id}", item)
    assert response.status_code in (400, 404), response.content
    assert_error(response, response.status_code)
    assert_error(api.call("delete", f"draft_orders/{draft['id']}/items/{line_id}"), 404, "not_found")
    assert snapshot() == before


def test_lines_that_add_up_beyond_the_largest_amount_are_a_400_at_completion(api):
    # Each line is in range; ten thousand of them would overflow the order's 64-bit totals.
    items = [{"line_id": n, "gross_amount": 10**15 - 1} for n in range(1, 10_001)]
    draft = api.call("post", "draft_orders", {"order": {"currency": "NOK", "items": items}})
    assert draft.status_code == 201, draft.content[:300]
    before = snapshot()
    response = api.call("put", f"draft_orders/{draft.json()['id']}/complete")
    assert_error(response, 400, "invalid_request", "add up to")
    assert snapshot() == before


# Every text field of a line or an order at its limit completes; one more character is a 400, not a
# database error at completion.
TEXT_LIMITS = [
    (("items", 0, "id"), 200),
    (("items", 0, "description"), 500),
    (("items", 0, "description_alias"), 500),
    (("items", 0, "reversed_reason"), 500),
    (("merchant_reference",), 200),
    (("store_id",), 200),
]


def _set(body: dict, path: tuple, value) -> dict:
    body = copy.deepcopy(body)
    node = body["order"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


@pytest.mark.parametrize("path, limit", TEXT_LIMITS, ids=[".".join(map(str, p)) for p, _ in TEXT_LIMITS])
def test_text_at_its_limit_is_stored_and_beyond_it_is_a_400(api, path, limit):
    draft = api.call("post", "draft_orders", _set(SEED_DRAFT, path, "ø" * limit))
    assert draft.status_code == 201, draft.content[:300]
    done = api.call("put", f"draft_orders/{draft.json()['id']}/complete")
    assert done.status_code == 200, done.content[:300]
    before = snapshot()
    assert_error(api.call("post", "draft_orders", _set(SEED_DRAFT, path, "ø" * (limit + 1))), 400)
    assert_error(api.call("post", "draft_orders", _set(SEED_DRAFT, path, "x" * 100_000)), 400)
    assert snapshot() == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("currency", "NOK" * 1000),
        ("options.generate_order_id", "ALPHANUMERIC_" + "9" * 1000),
        ("options.order_id", "x" * 65),
        ("options.order_id", "x" * 100_000),
    ],
)
def test_long_codes_and_ids_in_a_draft_are_a_400(api, field, value):
    body = copy.deepcopy(SEED_DRAFT)
    if field == "currency":
        body["order"]["currency"] = value
    else:
        body["options"] = {field.split(".")[1]: value}
    before = snapshot()
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert snapshot() == before


@pytest.mark.parametrize("field", ["payment_id", "authorization_id", "processed_by"])
def test_long_texts_of_an_operation_are_a_400(api, order, field):
    body = op_body([(1, 100)])
    long = "x" * 201
    if field == "payment_id":
        body["payment_details"]["payment_id"] = long
    else:
        body[field] = long
    before = snapshot()
    assert_error(api.call("post", f"orders/{order.order_id}/authorizations", body), 400, "invalid_request")
    assert snapshot() == before


def test_very_long_texts_in_objects_and_a_cancel_reason_are_stored_or_refused_never_a_500(api, order):
    body = copy.deepcopy(SEED_DRAFT)
    body["order"]["metadata"] = {"k" * 10_000: "v" * 100_000}
    body["order"]["customer"] = {"first_name": "K" * 100_000}
    response = api.call("post", "draft_orders", body)
    assert response.status_code == 201, response.content[:300]
    response = api.call("put", f"draft_orders/{response.json()['id']}/complete")
    assert response.status_code == 200, response.content[:300]
    response = api.call("post", f"orders/{order.order_id}/cancel", {"reason": "r" * 100_000})
    assert response.status_code in (200, 400), response.content[:300]


@pytest.mark.parametrize(
    "body",
    [
        {"grant_type": "client_credentials", "audience": "x" * 100_000},
        {"grant_type": "g" * 100_000, "audience": "http://testserver/v1/accounts/T12345678"},
        {"grant_type": ["client_credentials"], "audience": {"a": 1}},
        [],
    ],
)
def test_odd_token_requests_are_a_400(client, account, body):
    api_client, secret = api_client_for(account)
    credentials = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    response = client.post(
        f"/v1/accounts/{account.aid}/auth/token",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert_error(response, 400, "invalid_request")


# Methods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["PATCH", "BREW", "PROPFIND", "TRACE", "CONNECT"])
@pytest.mark.parametrize(
    "path", ["orders", "orders/{o}", "orders/{o}/captures", "draft_orders", "draft_orders/{d}"]
)
def test_unknown_methods_are_a_405_with_the_error_body(api, order, draft, method, path):
    before = snapshot()
    response = raw_call(api, method, path.format(o=order.order_id, d=draft["id"]), b"{}")
    assert_error(response, 405, "method_not_allowed")
    assert snapshot() == before


# Over a socket, against gunicorn ------------------------------------------------------------------


@pytest.fixture
def gunicorn(transactional_db, monkeypatch):
    """The app under gunicorn, on this test's database, with a 4 KiB body limit."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "API_MAX_BODY_BYTES": "4096",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backoffice.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}"],
        env=env,
        start_new_session=True,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _exchange(port: int, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send a request as raw bytes; the status and the JSON body of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read())


def _chunks(body: bytes, size: int = 1000) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


@pytest.mark.postgres
def test_bodies_over_the_limit_are_refused_over_http(gunicorn, account):
    api_client, secret = api_client_for(account)
    token = token_for(api_client, secret, account.aid)
    path = f"/v1/accounts/{account.aid}/shopping/draft_orders"
    head = f"POST {path} HTTP/1.1\nHost: 127.0.0.1\nAuthorization: Bearer {token}\n"
    head += "Content-Type: application/json\n"
    before = snapshot()

    # A 10 MB Content-Length is refused before the body is read: only its first bytes are sent.
    status, body = _exchange(gunicorn, head + "Content-Length: 10000000\n", b'{"order": ')
    assert (status, body["error"]["code"]) == (413, "request_too_large")

    draft = json.dumps(SEED_DRAFT).encode()
    big = draft[:-2] + b', "metadata": {"x": "' + b"x" * 5000 + b'"}}}'
    status, body = _exchange(gunicorn, head + "Transfer-Encoding: chunked\n", _chunks(big))
    assert (status, body["error"]["code"]) == (413, "request_too_large")
    assert snapshot() == before

    # A chunked body within the limit is read whole.
    status, body = _exchange(gunicorn, head + "Transfer-Encoding: chunked\n", _chunks(draft))
    assert status == 201, body
    assert body["order"]["items"][0]["gross_amount"] == 39800


@pytest.mark.parametrize("order_id", ["x" * 10_000, "1e309", "-1", "%2e%2e", "' OR '1'='1"])
def test_an_operation_on_an_order_id_that_names_no_order_is_a_404_and_writes_nothing(api, account, order_id):
    # The order is found as it is locked (by account and order id): whatever the id, no order.
    make_order(account, authorized=True)
    before = snapshot()
    path, body = f"orders/{order_id}/captures", op_body([(1, 100)])
    assert_error(api.call("post", path, body), 404, "not_found", "no order")
    assert snapshot() == before
    # Under a key, only the refusal is kept, and replayed as it was answered.
    first = api.call("post", path, body, HTTP_IDEMPOTENCY_KEY="k")
    assert_error(first, 404, "not_found", "no order")
    again = api.call("post", path, body, HTTP_IDEMPOTENCY_KEY="k")
    assert (again.status_code, again.json()) == (404, first.json())
    assert {**snapshot(), "idempotency": 0} == before
