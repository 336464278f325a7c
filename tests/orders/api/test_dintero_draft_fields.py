"""Every field Dintero documents for a draft's order, its items, tax lines and discount lines is
taken, stored and answered on the draft and on the order; unset optional fields are left out of
answers; any other field, or option, is a 400 naming it; the options that change what a draft
does (`split_draft` with a custom `order.order_id`, `replace`, `multiple_authorizations`) and an
operation item's `payout` do what Dintero says; discount lines add up to the order's
`total_discount` and `total_manual_discount_amount`.

Dintero: https://docs.dintero.com/api-reference/draftitems/add-item-to-draft (item and tax line
fields), https://docs.dintero.com/api-reference/draft/complete-a-draft-order (the Order:
`merchant_reference_2`, `shipping_option`, `total_discount`, `total_manual_discount_amount`),
https://docs.dintero.com/orders-api.html (changelog: custom order_id with `split_draft: false`,
2020-08-01; payout, 2020-09-01; item `external_id`, 2021-01-08; item `version`, 2020-07-01),
https://docs.dintero.com/api-reference/orderlist/get-authorization-collection (`authorization_id`
with `multiple_authorizations`, an item's `payout`).
"""

import copy

import pytest

from orders.models import Order, OrderLine, TaxLine
from tests.support.api import assert_error, complete, draft_new, order_new, snapshot
from tests.support.orders import SEED_DRAFT, SEED_ITEM, draft_body, item, line, op_body, reversal

TAX_LINE_FIELDS = {
    "tax_code": "3",
    "tax_group": "Vmva-høy",
    "exempt": False,
    "included_in_price": True,
    "tax_basis": 31840,
    "amount_dwh": "7960.0000",
    "tax_basis_dwh": "31840.00",
}
DISCOUNTS = [
    {
        "amount": 2000,
        "discount_type": "periodic",
        "percentage": 5,
        "discount_id": "SUMMER",
        "description": "Sommer",
    },
    {"amount": 500, "discount_type": "manual", "line_id": 1},
]
ITEM_FIELDS = {
    "external_id": "EXT-175938",
    "unit_gross_amount": 21150,
    "eligible_for_discount": True,
    "thumbnail_url": "https://shop.example/img/175938.jpg",
    "version": 3,
    "discount_lines": DISCOUNTS,
}
SHIPPING_OPTION = {"id": "bring-1", "line_id": 99, "amount": 0, "operator": "Bring", "title": "Bring"}


def full_item(line_id: int = 1) -> dict:
    body = item(line_id, 39800, **copy.deepcopy(ITEM_FIELDS))
    body["tax_lines"] = [{"amount": 7960, "percentage": 25, **TAX_LINE_FIELDS}]
    return body


def full_draft() -> dict:
    return {
        "options": {"generate_order_id": "ALPHANUMERIC_9"},
        "order": {
            "currency": "NOK",
            "merchant_reference": "M-1",
            "merchant_reference_2": "M-2",
            "shipping_option": SHIPPING_OPTION,
            "items": [full_item(1)],
        },
    }


def without_ours(answered: dict, sent: dict) -> dict:
    """The answered item's fields that were sent."""
    return {name: answered[name] for name in sent}


def test_every_documented_field_round_trips_on_the_draft_and_the_order(api):
    draft = draft_new(api, full_draft())
    shown = draft["order"]
    assert shown["merchant_reference_2"] == "M-2"
    assert shown["shipping_option"] == SHIPPING_OPTION
    assert without_ours(shown["items"][0], full_item(1)) == full_item(1)
    assert api.call("get", f"draft_orders/{draft['id']}").json()["order"] == shown

    response = complete(api, draft["id"])
    assert response.status_code == 200, response.content
    order = response.json()["orders"][0]
    assert order["merchant_reference"] == "M-1" and order["merchant_reference_2"] == "M-2"
    assert order["shipping_option"] == SHIPPING_OPTION
    answered = order["items"][0]
    for name, value in ITEM_FIELDS.items():
        assert answered[name] == value, name
    assert answered["tax_lines"] == [{"amount": 7960, "percentage": 25, **TAX_LINE_FIELDS}]
    assert api.call("get", f"orders/{order['order_id']}").json() == order

    stored = OrderLine.objects.get(order__order_id=order["order_id"])
    assert stored.dintero["external_id"] == "EXT-175938"
    assert TaxLine.objects.get(line=stored).dintero == TAX_LINE_FIELDS


def test_every_field_round_trips_when_added_as_an_item(api):
    draft = draft_new(api, draft_body([]))
    response = api.call("post", f"draft_orders/{draft['id']}/items", full_item(1))
    assert response.status_code == 201, response.content
    assert without_ours(response.json()["order"]["items"][0], full_item(1)) == full_item(1)
    changed = {**full_item(1), "version": 4, "thumbnail_url": "https://shop.example/b.jpg"}
    response = api.call("put", f"draft_orders/{draft['id']}/items/1", changed)
    assert response.status_code == 200, response.content
    assert without_ours(response.json()["order"]["items"][0], changed) == changed


OPTIONAL_ITEM_FIELDS = {*ITEM_FIELDS, "vat_warning"}
OPTIONAL_TAX_FIELDS = set(TAX_LINE_FIELDS)
OPTIONAL_ORDER_FIELDS = {"merchant_reference_2", "shipping_option", "multiple_authorizations"}


def test_unset_optional_fields_are_left_out(api):
    draft = draft_new(api)
    item_shown = draft["order"]["items"][0]
    assert not OPTIONAL_ITEM_FIELDS & set(item_shown)
    assert not OPTIONAL_TAX_FIELDS & set(item_shown["tax_lines"][0])
    assert not (OPTIONAL_ORDER_FIELDS | {"order_id"}) & set(draft["order"])
    order = order_new(api)
    assert not OPTIONAL_ORDER_FIELDS & set(order)
    assert not OPTIONAL_ITEM_FIELDS & set(order["items"][0])
    assert not OPTIONAL_TAX_FIELDS & set(order["items"][0]["tax_lines"][0])
    # The totals are always answered, 0 without discounts.
    assert (order["total_discount"], order["total_manual_discount_amount"]) == (0, 0)


def test_the_seed_bodies_still_answer_as_before(api):
    draft = draft_new(api, copy.deepcopy(SEED_DRAFT))
    assert draft["order"]["items"][0] == {
        **SEED_ITEM,
        "reversed_reason": "",
        "metadata": {},
    } | {"line_id": 1}


def _with(path: str, value) -> dict:
    """The seed draft with one more field at `path` (order, item, tax line, options or body)."""
    body = copy.deepcopy(SEED_DRAFT)
    target = {
        "": body,
        "options": body["options"],
        "order": body["order"],
        "item": body["order"]["items"][0],
        "tax": body["order"]["items"][0]["tax_lines"][0],
    }[path]
    target.update(value)
    return body


UNKNOWN = [
    pytest.param(_with("", {"draft_options": {}}), "draft_options", id="body"),
    pytest.param(_with("options", {"split_order": True}), "options.split_order", id="option"),
    pytest.param(_with("options", {"payout": {"a": 1}}), "options.payout", id="option-payout"),
    pytest.param(_with("order", {"shipping": {}}), "order.shipping", id="order"),
    pytest.param(_with("order", {"status": "open"}), "order.status", id="order-read-only"),
    pytest.param(_with("item", {"vat": 25}), "order.items[0].vat", id="item"),
    pytest.param(_with("item", {"discount_line": []}), "order.items[0].discount_line", id="item-typo"),
    pytest.param(_with("tax", {"code": "3"}), "order.items[0].tax_lines[0].code", id="tax-line"),
    pytest.param(
        _with("item", {"discount_lines": [{"amount": 1, "kind": "x"}]}),
        "order.items[0].discount_lines[0].kind",
        id="discount-line",
    ),
    pytest.param(
        _with("item", {"related_item": {"line_id": 1, "type": "reversed", "why": "x"}}),
        "order.items[0].related_item.why",
        id="related-item",
    ),
]


@pytest.mark.parametrize("body, field", UNKNOWN)
def test_an_unknown_field_or_option_is_a_400_naming_it(api, body, field):
    before = snapshot()
    error = assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert field in [e["field"] for e in error["errors"]], error
    assert field.rsplit(".", 1)[-1] in error["message"]
    assert snapshot() == before


def test_an_unknown_field_of_an_added_item_or_an_operation_is_a_400(api):
    draft = draft_new(api)
    error = assert_error(
        api.call("post", f"draft_orders/{draft['id']}/items", {**item(2), "colour": "red"}), 400
    )
    assert [e["field"] for e in error["errors"]] == ["item.colour"]
    order = order_new(api)
    body = op_body([(1, 39800)])
    body["items"][0]["amont"] = 1
    error = assert_error(api.call("post", f"orders/{order['order_id']}/authorizations", body), 400)
    assert [e["field"] for e in error["errors"]] == ["items[0].amont"]
    error = assert_error(
        api.call("post", f"orders/{order['order_id']}/authorizations", {**op_body([(1, 1)]), "note": "x"}),
        400,
    )
    assert [e["field"] for e in error["errors"]] == ["note"]


BAD_VALUES = [
    pytest.param(_with("item", {"external_id": ["x"]}), "order.items[0].external_id", id="external-id"),
    pytest.param(
        _with("item", {"eligible_for_discount": "yes"}), "order.items[0].eligible_for_discount", id="bool"
    ),
    pytest.param(_with("item", {"version": -1}), "order.items[0].version", id="version"),
    pytest.param(_with("item", {"unit_gross_amount": 1.5}), "order.items[0].unit_gross_amount", id="unit"),
    pytest.param(
        _with("item", {"unit_gross_amount": -5}), "order.items[0].unit_gross_amount", id="unit-sign"
    ),
    pytest.param(_with("item", {"thumbnail_url": "x" * 2001}), "order.items[0].thumbnail_url", id="url"),
    pytest.param(_with("item", {"discount_lines": {}}), "order.items[0].discount_lines", id="discounts"),
    pytest.param(
        _with("item", {"discount_lines": [{"discount_type": "manual"}]}),
        "order.items[0].discount_lines[0].amount",
        id="discount-amount",
    ),
    pytest.param(
        _with("item", {"discount_lines": [{"amount": -5}]}),
        "order.items[0].discount_lines[0].amount",
        id="discount-sign",
    ),
    pytest.param(
        _with("item", {"discount_lines": [{"amount": 5, "discount_type": "bogus"}]}),
        "order.items[0].discount_lines[0].discount_type",
        id="discount-type",
    ),
    pytest.param(_with("tax", {"exempt": 1}), "order.items[0].tax_lines[0].exempt", id="exempt"),
    pytest.param(_with("tax", {"tax_basis": "100"}), "order.items[0].tax_lines[0].tax_basis", id="basis"),
    pytest.param(_with("tax", {"amount_dwh": "lots"}), "order.items[0].tax_lines[0].amount_dwh", id="dwh"),
    pytest.param(
        _with("order", {"merchant_reference_2": "x" * 201}), "order.merchant_reference_2", id="ref2"
    ),
    pytest.param(_with("order", {"shipping_option": "bring"}), "order.shipping_option", id="shipping"),
    pytest.param(_with("order", {"gross_amount": 1}), "order.gross_amount", id="gross-total"),
    pytest.param(_with("order", {"total_discount": 1}), "order.total_discount", id="discount-total"),
    pytest.param(_with("options", {"split_draft": "no"}), "options.split_draft", id="split-draft"),
    pytest.param(_with("options", {"replace": 1}), "options.replace", id="replace"),
]


@pytest.mark.parametrize("body, field", BAD_VALUES)
def test_a_bad_value_of_a_dintero_field_is_a_400_naming_it(api, body, field):
    before = snapshot()
    error = assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert field in [e["field"] for e in error["errors"]], error
    assert snapshot() == before


def test_totals_sent_back_as_answered_are_taken(api):
    body = full_draft()
    body["order"] |= {"gross_amount": 39800, "net_amount": 31840, "total_discount": 2500}
    body["order"]["total_manual_discount_amount"] = 500
    draft_new(api, body)


# split_draft and a custom order.order_id -------------------------------------------------------


def custom(order_id: str, **options) -> dict:
    body = draft_body([line(1, 10000)])
    body["options"] = {"split_draft": False, **options}
    body["order"]["order_id"] = order_id
    return body


def test_a_custom_order_id_with_split_draft_false_names_the_order(api):
    draft = draft_new(api, custom("SHOP-1001"))
    assert draft["order"]["order_id"] == "SHOP-1001"
    assert draft["options"] == {"split_draft": False}
    order = complete(api, draft["id"]).json()["orders"][0]
    assert order["order_id"] == "SHOP-1001"
    found = api.call("get", "orders/SHOP-1001")
    assert found.status_code == 200 and found.json()["id"] == order["id"]
    assert api.call("get", "orders", {"order_id": "SHOP-1001"}).json()["orders"][0]["id"] == order["id"]


@pytest.mark.parametrize(
    "body, field",
    [
        pytest.param({**custom("SHOP-1"), "options": {}}, "order.order_id", id="without-split-draft"),
        pytest.param({**custom("SHOP-1"), "options": {"split_draft": True}}, "order.order_id", id="split"),
        pytest.param(
            custom("SHOP-1", generate_order_id="NUMERIC_8"), "options.generate_order_id", id="and-generated"
        ),
        pytest.param(custom("SHOP 1"), "order.order_id", id="space"),
        pytest.param(custom("SHOP/1"), "order.order_id", id="slash"),
        pytest.param(custom(""), "order.order_id", id="empty"),
        pytest.param(custom("X" * 65), "order.order_id", id="too-long"),
    ],
)
def test_a_custom_order_id_needs_split_draft_false_and_a_path_safe_id(api, body, field):
    before = snapshot()
    error = assert_error(api.call("post", "draft_orders", body), 400, "invalid_request")
    assert field in [e["field"] for e in error["errors"]], error
    assert snapshot() == before


def test_a_custom_order_id_taken_is_a_409_and_creates_nothing(api):
    assert complete(api, draft_new(api, custom("SHOP-7"))["id"]).status_code == 200
    draft = draft_new(api, custom("SHOP-7"))
    before = Order.objects.count()
    error = assert_error(complete(api, draft["id"]), 409)
    assert "SHOP-7" in error["message"]
    assert Order.objects.count() == before
    assert api.call("get", f"draft_orders/{draft['id']}").json()["status"] == "open"


def test_split_draft_true_makes_one_order_of_a_one_store_draft(api):
    body = draft_body([line(1, 10000)])
    body["options"]["split_draft"] = True
    orders = complete(api, draft_new(api, body)["id"]).json()["orders"]
    assert len(orders) == 1


# replace -------------------------------------------------------------------------------------------


def test_replace_reverses_the_lines_left_out_and_adds_the_new_ones(api):
    order = order_new(api, [line(1, 10000, 2), line(2, 5000), line(3, 3000, 2)])
    oid = order["order_id"]
    # Line 3 is half reversed already: what is left of it is reversed.
    assert (
        complete(api, draft_new(api, draft_body([reversal(4, 3, 1500)], order_id=oid))["id"]).status_code
        == 200
    )
    kept = order["items"][0]
    body = draft_body(
        [{k: kept[k] for k in ("line_id", "id", "description", "quantity", "gross_amount")}, line(9, 7000)],
        order_id=oid,
    )
    body["options"]["replace"] = True
    draft = draft_new(api, body)
    response = complete(api, draft["id"])
    assert response.status_code == 200, response.content
    shown = response.json()["orders"][0]
    by_id = {i["line_id"]: i for i in shown["items"]}
    assert by_id[9]["gross_amount"] == 7000
    reversals = [i for i in shown["items"] if i["related_item"] and i["line_id"] > 9]
    assert {(r["related_item"]["line_id"], r["gross_amount"], r["reversed_reason"]) for r in reversals} == {
        (2, -5000, "replaced"),
        (3, -1500, "replaced"),
    }
    assert sum(r["tax_lines"][0]["amount"] for r in reversals if r["related_item"]["line_id"] == 2) == -1000
    # What the order holds now is what the draft listed: line 1 and line 9.
    assert shown["gross_amount"] == 10000 + 7000
    assert api.call("get", f"draft_orders/{draft['id']}").json()["order"]["items"][0]["line_id"] == 1
    events = api.call("get", f"orders/{oid}/events").json()["events"]
    assert events[-1]["data"]["replace"] is True


def test_replace_with_a_changed_line_is_a_409_and_changes_nothing(api):
    order = order_new(api, [line(1, 10000)])
    body = draft_body([line(1, 12000)], order_id=order["order_id"])
    body["options"]["replace"] = True
    draft = draft_new(api, body)
    before = snapshot()
    error = assert_error(complete(api, draft["id"]), 409)
    assert "lines never change" in error["message"]
    assert [e["field"] for e in error["errors"]] == ["order.items[0].line_id"]
    assert snapshot() == before


def test_replace_of_a_line_whose_quantity_is_used_up_is_a_409(api):
    order = order_new(api, [line(1, 10000, 1)])
    oid = order["order_id"]
    assert (
        complete(api, draft_new(api, draft_body([reversal(2, 1, 4000, 1)], order_id=oid))["id"]).status_code
        == 200
    )
    body = draft_body([line(5, 100)], order_id=oid)
    body["options"]["replace"] = True
    draft = draft_new(api, body)
    before = snapshot()
    error = assert_error(complete(api, draft["id"]), 409)
    assert "quantity" in error["message"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "options, items, field",
    [
        pytest.param({"replace": True}, [line(1, 100)], "options.replace", id="without-order"),
        pytest.param(None, [reversal(2, 1, 100)], "order.items[0].related_item", id="with-reversal"),
    ],
)
def test_replace_needs_its_order_and_takes_no_reversals(api, options, items, field):
    order = order_new(api, [line(1, 10000)])
    body = draft_body(items, order_id=order["order_id"])
    body["options"] = options or {"order_id": order["order_id"], "replace": True}
    error = assert_error(api.call("post", "draft_orders", body), 400)
    assert field in [e["field"] for e in error["errors"]]


# multiple_authorizations ---------------------------------------------------------------------------


@pytest.fixture
def multi(api):
    body = draft_body([line(1, 10000)])
    body["options"]["multiple_authorizations"] = True
    assert draft_new(api, body)["options"]["multiple_authorizations"] is True
    order = complete(api, api.call("get", "draft_orders").json()["draft_orders"][0]["id"]).json()["orders"][0]
    assert order["multiple_authorizations"] is True
    return order["order_id"]


def op(lines, authorization_id=None, **extra):
    body = op_body(lines) | extra
    if authorization_id:
        body["authorization_id"] = authorization_id
    return body


def test_multiple_authorizations_each_name_theirs(api, multi):
    path = f"orders/{multi}"
    assert api.call("post", f"{path}/authorizations", op([(1, 6000)], "A-1")).status_code == 201
    assert api.call("post", f"{path}/authorizations", op([(1, 4000)], "A-2")).status_code == 201
    answered = api.call("get", f"{path}/authorizations").json()["authorizations"]
    assert [a["authorization_id"] for a in answered] == ["A-1", "A-2"]
    # Each authorization is captured within what it holds.
    error = assert_error(api.call("post", f"{path}/captures", op([(1, 5000)], "A-2")), 409, "ledger_conflict")
    assert "A-2" in error["message"]
    assert api.call("post", f"{path}/captures", op([(1, 6000)], "A-1")).status_code == 201
    assert api.call("post", f"{path}/captures", op([(1, 4000)], "A-2")).status_code == 201
    assert_error(api.call("post", f"{path}/refunds", op([(1, 4001)], "A-2")), 409, "ledger_conflict")
    assert api.call("post", f"{path}/refunds", op([(1, 4000)], "A-2")).status_code == 201


def test_multiple_authorizations_refuse_an_operation_without_or_with_an_unknown_id(api, multi):
    path = f"orders/{multi}"
    before = snapshot()
    error = assert_error(api.call("post", f"{path}/authorizations", op([(1, 100)])), 400)
    assert [e["field"] for e in error["errors"]] == ["authorization_id"]
    assert snapshot() == before
    assert api.call("post", f"{path}/authorizations", op([(1, 100)], "A-1")).status_code == 201
    assert_error(api.call("post", f"{path}/authorizations", op([(1, 100)], "A-1")), 409)
    error = assert_error(api.call("post", f"{path}/captures", op([(1, 100)], "A-9")), 400)
    assert "A-9" in error["message"]
    assert_error(api.call("post", f"{path}/captures", op([(1, 100)])), 400)


def test_an_order_without_the_option_takes_operations_as_before(api):
    order = order_new(api, [line(1, 10000)])
    assert "multiple_authorizations" not in order
    path = f"orders/{order['order_id']}"
    assert api.call("post", f"{path}/authorizations", op([(1, 10000)])).status_code == 201
    assert api.call("post", f"{path}/captures", op([(1, 10000)], "anything")).status_code == 201


def test_multiple_authorizations_is_an_option_of_a_new_order(api):
    order = order_new(api, [line(1, 10000)])
    body = draft_body([line(2, 100)], order_id=order["order_id"])
    body["options"]["multiple_authorizations"] = True
    error = assert_error(api.call("post", "draft_orders", body), 400)
    assert [e["field"] for e in error["errors"]] == ["options.multiple_authorizations"]


# payout --------------------------------------------------------------------------------------------


def test_an_operation_items_payout_is_kept_and_answered(api):
    order = order_new(api, [line(1, 10000), line(2, 5000)])
    path = f"orders/{order['order_id']}"
    body = op_body([(1, 10000), (2, 5000)])
    body["items"][0]["payout"] = {"destination_id": "seller-1", "amount": 9000}
    created = api.call("post", f"{path}/authorizations", body)
    assert created.status_code == 201, created.content
    items = created.json()["items"]
    assert items[0]["payout"] == {"destination_id": "seller-1", "amount": 9000}
    assert "payout" not in items[1]
    listed = api.call("get", f"{path}/authorizations").json()["authorizations"][0]["items"]
    assert listed == items
    bad = op_body([(1, 100)])
    bad["items"][0]["payout"] = "seller-1"
    error = assert_error(api.call("post", f"{path}/captures", bad), 400)
    assert [e["field"] for e in error["errors"]] == ["items[0].payout"]


# discount totals -----------------------------------------------------------------------------------


def test_discount_lines_add_up_to_the_orders_totals(api):
    discounted = item(1, 39800, discount_lines=DISCOUNTS)
    other = item(2, 10000, discount_lines=[{"amount": 1000, "discount_type": "manual"}])
    order = order_new(api, [discounted, other, item(3, 5000)])
    assert order["total_discount"] == 2000 + 500 + 1000
    assert order["total_manual_discount_amount"] == 500 + 1000
    # Discounts are already off the gross amounts.
    assert order["gross_amount"] == 39800 + 10000 + 5000
    # A reversal's discount lines (negative, as its amounts) take the discount back out.
    oid = order["order_id"]
    back = reversal(4, 2, 10000, 2, discount_lines=[{"amount": -1000, "discount_type": "manual"}])
    updated = complete(api, draft_new(api, draft_body([back], order_id=oid))["id"]).json()["orders"][0]
    assert (updated["total_discount"], updated["total_manual_discount_amount"]) == (2500, 500)


def test_a_replace_takes_the_discounts_of_the_lines_it_reverses(api):
    order = order_new(api, [item(1, 39800, discount_lines=DISCOUNTS), item(2, 5000)])
    kept = order["items"][1]
    body = draft_body(
        [{k: kept[k] for k in ("line_id", "id", "description", "quantity", "gross_amount")}],
        order_id=order["order_id"],
    )
    body["options"]["replace"] = True
    shown = complete(api, draft_new(api, body)["id"]).json()["orders"][0]
    assert (shown["total_discount"], shown["total_manual_discount_amount"]) == (0, 0)
    assert shown["gross_amount"] == 5000


def test_a_draft_answers_its_totals_and_takes_itself_back(api):
    """A draft's `order` answers what its items add up to, as Dintero's does; a client may PUT
    the draft it read back unchanged (our `vat_warning` and provisional marks included)."""
    body = full_draft()
    body["order"]["items"].append(
        {**item(2, 10000, tax_lines=[{"amount": 1, "percentage": 25}]), "line_id": None}
    )
    draft = draft_new(api, body)
    shown = draft["order"]
    assert (shown["gross_amount"], shown["net_amount"]) == (49800, 49800 - 7960 - 1)
    assert (shown["total_discount"], shown["total_manual_discount_amount"]) == (2500, 500)
    assert shown["items"][1]["line_id_provisional"] is True and shown["items"][1]["vat_warning"]
    again = api.call("put", f"draft_orders/{draft['id']}", {"options": draft["options"], "order": shown})
    assert again.status_code == 200, again.content
    assert again.json()["order"] == shown


def test_the_schema_documents_the_fields_and_refuses_the_others(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    item_input = components["DraftItemInputRequest"]
    assert set(ITEM_FIELDS) <= set(item_input["properties"])
    assert set(TAX_LINE_FIELDS) <= set(components["TaxLineRequest"]["properties"])
    assert {"split_draft", "replace", "multiple_authorizations"} <= set(
        components["DraftOptionsRequest"]["properties"]
    )
    assert {"merchant_reference_2", "shipping_option", "order_id"} <= set(
        components["DraftOrderBodyRequest"]["properties"]
    )
    assert "payout" in components["OperationItemInputRequest"]["properties"]
    for name in ("DraftInputRequest", "DraftOrderBodyRequest", "DraftItemInputRequest", "TaxLineRequest"):
        assert components[name]["additionalProperties"] is False, name
    answered = components["Order"]["properties"]
    assert {
        "merchant_reference_2",
        "shipping_option",
        "total_discount",
        "total_manual_discount_amount",
    } <= set(answered)
    assert {*ITEM_FIELDS, "vat_warning"} <= set(components["OrderItem"]["properties"])
