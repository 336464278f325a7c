"""Lines sent without a line_id on an update draft are numbered when the draft completes, under
the order's lock: two drafts open on one order at once both complete, whatever their order.
Line ids the client chose are kept, and one the order has taken meanwhile is a 409."""

import pytest

from orders.inputs import COUNT_LIMIT
from orders.models import DraftOrder, Event, Order, OrderLine
from tests.support.api import assert_error, client_like, complete, draft_new, order_new, snapshot, statuses
from tests.support.orders import draft_body, line, reversal
from tests.support.threads import at_once


def unnumbered(item: dict) -> dict:
    return {k: v for k, v in item.items() if k != "line_id"}


@pytest.fixture
def order(api) -> dict:
    """Line 1: two chairs for 39800."""
    return order_new(api, [line(1, 39800, quantity=2)])


def line_ids(order_id: str) -> list[int]:
    return list(
        OrderLine.objects.filter(order__order_id=order_id)
        .order_by("line_id")
        .values_list("line_id", flat=True)
    )


def test_two_update_drafts_without_line_ids_both_complete(api, order):
    oid = order["order_id"]
    first = draft_new(api, draft_body([unnumbered(line(0, 1000))], order_id=oid))
    second = draft_new(api, draft_body([unnumbered(reversal(0, of=1, gross=19900))], order_id=oid))
    # Both are shown the next free line id, marked as provisional.
    for draft in (first, second):
        assert [(i["line_id"], i["line_id_provisional"]) for i in draft["order"]["items"]] == [(2, True)]

    done = complete(api, first["id"])
    assert done.status_code == 200, done.content
    done = complete(api, second["id"])
    assert done.status_code == 200, done.content

    shown = done.json()["orders"][0]
    assert [i["line_id"] for i in shown["items"]] == [1, 2, 3]
    # The reversal still names the line it reverses.
    assert shown["items"][2]["gross_amount"] == -19900
    assert shown["items"][0]["reversed_by"] == [3]
    assert shown["gross_amount"] == 39800 + 1000 - 19900
    assert Order.objects.get(order_id=oid).last_line_id == 3
    # The drafts keep the line ids their lines were given, for good.
    for draft, line_id in ((first, 2), (second, 3)):
        items = api.call("get", f"draft_orders/{draft['id']}").json()["order"]["items"]
        assert [(i["line_id"], "line_id_provisional" in i) for i in items] == [(line_id, False)]
    events = Event.objects.filter(order__order_id=oid, kind="order_updated").order_by("created_at")
    assert [e.data["line_ids"] for e in events] == [[2], [3]]
    assert events[1].summary.startswith("Line 3 added: line 1 reversed")


def test_a_provisional_line_id_is_kept_while_it_is_free(api, order):
    oid = order["order_id"]
    draft = draft_new(api, draft_body([unnumbered(line(0, 1000))], order_id=oid))
    added = api.call("post", f"draft_orders/{draft['id']}/items", line(7, 500))
    assert [i["line_id"] for i in added.json()["order"]["items"]] == [2, 7]
    # Edited by the number it was shown, the line stays provisional.
    edited = api.call("put", f"draft_orders/{draft['id']}/items/2", unnumbered(line(0, 1500)))
    assert edited.status_code == 200, edited.content
    assert edited.json()["order"]["items"][0]["line_id_provisional"] is True

    done = complete(api, draft["id"])
    assert done.status_code == 200, done.content
    assert line_ids(oid) == [1, 2, 7]
    assert OrderLine.objects.get(order__order_id=oid, line_id=2).gross_amount == 1500


def test_provisional_lines_taken_meanwhile_are_numbered_after_the_clients_own(api, order):
    oid = order["order_id"]
    mine = draft_new(api, draft_body([unnumbered(line(0, 100)), unnumbered(line(0, 200))], order_id=oid))
    added = api.call("post", f"draft_orders/{mine['id']}/items", line(5, 300))
    assert [i["line_id"] for i in added.json()["order"]["items"]] == [2, 3, 5]
    # Another draft completes first and takes lines 2 and 3.
    other = draft_new(api, draft_body([unnumbered(line(0, 400)), unnumbered(line(0, 500))], order_id=oid))
    assert complete(api, other["id"]).status_code == 200
    assert line_ids(oid) == [1, 2, 3]

    done = complete(api, mine["id"])
    assert done.status_code == 200, done.content
    by_id = {i["line_id"]: i["gross_amount"] for i in done.json()["orders"][0]["items"]}
    # The client's line 5 keeps its number; the provisional ones follow it, in the draft's order.
    assert by_id == {1: 39800, 2: 400, 3: 500, 5: 300, 6: 100, 7: 200}


def test_a_line_id_the_client_chose_and_another_draft_took_is_a_409(api, order):
    oid = order["order_id"]
    chosen = draft_new(api, draft_body([line(2, 700), unnumbered(line(0, 800))], order_id=oid))
    assert (
        complete(api, draft_new(api, draft_body([unnumbered(line(0, 1000))], order_id=oid))["id"]).status_code
        == 200
    )
    before = snapshot()

    error = assert_error(complete(api, chosen["id"]), 409, "conflict", "line_id 2", "new lines start at 3")
    assert [e["field"] for e in error["errors"]] == ["order.items[0].line_id"]
    assert "already a line on order" in error["errors"][0]["message"]
    assert snapshot() == before
    shown = api.call("get", f"draft_orders/{chosen['id']}").json()
    assert shown["status"] == "open"
    assert [(i["line_id"], i.get("line_id_provisional", False)) for i in shown["order"]["items"]] == [
        (2, False),
        (3, True),
    ]


def test_no_line_id_left_is_a_clear_refusal_not_a_database_error(api, order):
    oid = order["order_id"]
    before = snapshot()
    body = draft_body([line(COUNT_LIMIT, 100), unnumbered(line(0, 200))], order_id=oid)
    assert_error(api.call("post", "draft_orders", body), 400, "invalid_request", "order.items[1].line_id")
    assert snapshot() == before
    draft = draft_new(api, draft_body([line(COUNT_LIMIT, 100)], order_id=oid))
    before = snapshot()
    response = api.call("post", f"draft_orders/{draft['id']}/items", unnumbered(line(0, 200)))
    assert_error(response, 400, "invalid_request", "no line id is left")
    assert snapshot() == before

    # Shown line 2, but the order's last line becomes the highest there is before it completes.
    late = draft_new(api, draft_body([unnumbered(line(0, 300))], order_id=oid))
    assert complete(api, draft["id"]).status_code == 200
    before = snapshot()
    assert_error(complete(api, late["id"]), 409, "conflict", "no line id left")
    assert snapshot() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [2, 5])
def test_concurrent_completions_of_update_drafts_without_line_ids(api, count):
    oid = order_new(api, [line(1, 39800, quantity=2)])["order_id"]
    drafts = [
        draft_new(api, draft_body([unnumbered(line(0, 1000 + n))], order_id=oid))["id"] for n in range(count)
    ]
    assert {
        d.document["items"][0]["line_id"] for d in DraftOrder.objects.filter(target_order__order_id=oid)
    } == {2}

    responses = at_once(count, lambda i: client_like(api).call("put", f"draft_orders/{drafts[i]}/complete"))

    assert statuses(responses) == {200: count}, [r.content for r in responses]
    assert line_ids(oid) == list(range(1, count + 2))
    given = {OrderLine.objects.get(order__order_id=oid, gross_amount=1000 + n).line_id for n in range(count)}
    assert given == set(range(2, count + 2))
    order = Order.objects.get(order_id=oid)
    assert order.last_line_id == count + 1
    assert order.gross_amount == 39800 + sum(1000 + n for n in range(count))
    assert not DraftOrder.objects.filter(status="OPEN").exists()
    assert Event.objects.filter(order=order, kind="order_updated").count() == count
