"""Dintero's paging on the Orders API: `limit` and `starting_after`, an object id (the `id` of the
last object the client has). Dintero spells the convention out on
https://docs.dintero.com/api-reference/settlements/list-settlements; the order filters
`created_at.gte` / `created_at.lte` are in the changelog of https://docs.dintero.com/orders-api.html
(2019-05-01)."""

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import DraftOrder, Order
from tests.support.api import assert_error
from tests.support.orders import SEED_DRAFT, make_order

MANY = 260


@pytest.fixture
def many_orders(account) -> set[str]:
    """A few hundred orders, some sharing a created_at to the microsecond (ties are ordered by id)."""
    template = make_order(account)
    shared = timezone.now() - dt.timedelta(days=1)
    rows = [
        Order(
            account=account,
            order_id=f"PAGE{n:05}",
            currency="NOK",
            created_by="tests",
            created_at=shared if n % 3 == 0 else shared + dt.timedelta(seconds=n),
        )
        for n in range(MANY - 1)
    ]
    Order.objects.bulk_create(rows)
    return {str(template.pk), *(str(row.pk) for row in rows)}


def dintero_client_loop(api, listing: str, limit: int, **params) -> list[str]:
    """What a client written against Dintero does: ask for `limit`, then again after the last id,
    until a page comes back empty."""
    seen: list[str] = []
    query: dict = {"limit": limit, **params}
    for _ in range(MANY + 5):  # a pager that never ends fails here, not by hanging
        response = api.call("get", listing, query)
        assert response.status_code == 200, response.content
        page = response.json()[listing]
        assert len(page) <= min(limit, 100)
        if not page:
            return seen
        seen += [row["id"] for row in page]
        query = {**query, "starting_after": page[-1]["id"]}
    raise AssertionError("the pager did not end")


@pytest.mark.parametrize("limit", [7, 100, 1000])
def test_a_dintero_client_loop_sees_each_order_exactly_once(api, many_orders, limit):
    seen = dintero_client_loop(api, "orders", limit)
    assert len(seen) == len(set(seen)) == MANY
    assert set(seen) == many_orders


def test_the_loop_follows_the_lists_order_newest_first(api, many_orders):
    seen = dintero_client_loop(api, "orders", 50)
    expected = [str(pk) for pk in Order.objects.order_by("-created_at", "-pk").values_list("pk", flat=True)]
    assert seen == expected


def test_the_loop_keeps_its_filters(api, account, many_orders):
    since = Order.objects.order_by("created_at").values_list("created_at", flat=True)[100]
    expected = {str(pk) for pk in Order.objects.filter(created_at__gte=since).values_list("pk", flat=True)}
    seen = dintero_client_loop(api, "orders", 30, **{"created_at.gte": since.isoformat()})
    assert len(seen) == len(set(seen)) and set(seen) == expected


def test_next_links_page_after_starting_after(api, many_orders):
    first = api.call("get", "orders", {"limit": 10}).json()
    after = first["orders"][-1]["id"]
    seen, url = [], api.url("orders") + f"?limit=40&starting_after={after}"
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()["orders"]]
        url = response.json()["next"]
    assert len(seen) == len(set(seen)) == MANY - 10
    assert not set(seen) & {row["id"] for row in first["orders"]}


def test_dinteros_date_names_filter_like_ours(api, account):
    make_order(account)
    future = "2999-01-01T00:00:00Z"
    assert api.call("get", "orders", {"created_at.gte": future}).json()["orders"] == []
    assert api.call("get", "orders", {"created_at_gte": future}).json()["orders"] == []
    assert len(api.call("get", "orders", {"created_at.lte": future}).json()["orders"]) == 1
    error = assert_error(api.call("get", "orders", {"created_at.gte": "yesterday"}), 400, "invalid_request")
    assert error["errors"][0]["field"] == "created_at.gte"


def test_drafts_page_the_same_way(api):
    made = {api.call("post", "draft_orders", SEED_DRAFT).json()["id"] for _ in range(5)}
    seen = dintero_client_loop(api, "draft_orders", 2)
    assert len(seen) == len(set(seen)) and set(seen) == made
    future = "2999-01-01T00:00:00Z"
    assert api.call("get", "draft_orders", {"created_at.gte": future}).json()["draft_orders"] == []


@pytest.mark.parametrize("listing", ["orders", "draft_orders"])
@pytest.mark.parametrize("value", ["nope", "3f1c9a52-5d0e-4c57-9a53-2f6a3e7c1b9d", "", "%00"])
def test_a_starting_after_that_is_no_id_of_the_list_is_a_400(api, account, listing, value):
    make_order(account)
    response = api.get(api.url(listing) + f"?starting_after={value}")
    assert_error(response, 400, "invalid_request")


def test_another_accounts_id_is_no_place_in_the_list(api, account, other_account):
    theirs = make_order(other_account)
    response = api.call("get", "orders", {"starting_after": str(theirs.pk)})
    error = assert_error(response, 400, "invalid_request", "starting_after")
    assert error["errors"][0]["field"] == "starting_after"
    draft = DraftOrder.objects.create(account=other_account, document={}, created_by="tests")
    assert_error(api.call("get", "draft_orders", {"starting_after": str(draft.pk)}), 400, "invalid_request")


def test_an_object_that_left_the_filter_still_marks_the_place(api, account):
    orders = [make_order(account) for _ in range(3)]  # newest last
    newest = orders[-1]
    page = api.call("get", "orders", {"status": "cancelled", "starting_after": str(newest.pk)})
    assert page.status_code == 200 and page.json()["orders"] == []
    rest = api.call("get", "orders", {"starting_after": str(newest.pk)}).json()["orders"]
    assert [o["id"] for o in rest] == [str(o.pk) for o in reversed(orders[:-1])]


def test_the_schema_documents_the_paging_and_dinteros_filters(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for listing in ("orders", "draft_orders"):
        operation = schema["paths"][f"/v1/accounts/{{aid}}/shopping/{listing}"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"limit", "starting_after", "created_at.gte", "created_at.lte", "status"} <= names
    orders = schema["paths"]["/v1/accounts/{aid}/shopping/orders"]["get"]["parameters"]
    enums = {p["name"]: set(p["schema"].get("enum", ())) for p in orders}
    assert enums["payment_status"] == {"pending", "partially_paid", "paid", "partially_refunded", "refunded"}
    assert enums["status"] == {"open", "closed", "cancelled"}
    assert "CAPTURED" in enums["ledger_status"]


@pytest.mark.parametrize("name", ["created_at.gte", "created_at_lte"])
def test_a_date_with_an_offset_beyond_the_databases_reads_in_utc(api, account, name):
    make_order(account)
    response = api.call("get", "orders", {name: "0461-12-02T08:25:48-19:02"})
    assert response.status_code == 200, response.content
