"""Order sessions on the shopping path, as Dintero's Orders API has them:
`POST …/shopping/orders/{order_id}/sessions` (https://docs.dintero.com/api-reference/ordersessions/create-a-session)
with `{"items": [{"line_id"}], "profile_id", "url": {...}}`, answered `{id, items [{line_id, amount}],
amount, created_at, created_by, processed_at, metadata, _links}`, and `GET …/sessions/{session_id}`
(https://docs.dintero.com/api-reference/ordersessions/get-session-details). "A session event will
be added to the order." Served by payments: the same payment links as `…/payments/…/sessions`."""

import json

import pytest
from django.conf import settings

from orders.models import Event, EventKind
from orders.services.status import order_close
from payments.models import PaymentSession
from payments.sandbox.gateway import SandboxGateway
from payments.services.sessions import session_withdraw
from tests.support.api import assert_error, client_like, snapshot
from tests.support.orders import TEST_ACTOR, item, make_order
from tests.support.threads import at_once

from .helpers import BASE, sandbox_paid

DINTERO_BODY = {
    "items": [{"line_id": "1"}],
    "profile_id": "default",
    "url": {
        "return_url": "https://example.com/accept",
        "callback_url": "https://example.com/callback?method=GET",
        "merchant_terms_url": "https://example.com/terms.html",
    },
    "metadata": {"pos": "till 3"},
}


@pytest.fixture
def order(account):
    return make_order(account, [item(1, 39800), item(2, 10000)])


def _sessions(api, order_id: str, suffix: str = "") -> str:
    return f"orders/{order_id}/sessions{suffix}"


def test_dinteros_body_makes_a_session_for_what_the_line_has_left(api, order):
    response = api.call("post", _sessions(api, order.order_id), DINTERO_BODY)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["items"] == [{"line_id": 1, "amount": 39800}] and body["amount"] == 39800
    assert body["created_by"] == "api:shop" and body["created_at"] and body["processed_at"] is None
    assert body["metadata"] == {"pos": "till 3"} and body["url"] == DINTERO_BODY["url"]
    [link] = body["_links"]
    assert link["rel"] == "session_url" and link["href"].startswith(f"{BASE}/payments/sandbox/")
    assert body["status"] == "open"
    session = PaymentSession.objects.get(pk=body["id"])
    assert session.order_id == order.pk and session.items == [{"line_id": 1, "amount": 39800}]
    # A session event on the order, with the request that asked for it.
    event = Event.objects.filter(order=order, kind=EventKind.PROVIDER_CALL).order_by("pk").first()
    assert event.request["method"] == "POST"
    assert json.loads(event.request["body"])["profile_id"] == "default"


def test_get_answers_the_session_as_it_was_made(api, order):
    made = api.call("post", _sessions(api, order.order_id), DINTERO_BODY).json()

    one = api.call("get", _sessions(api, order.order_id, f"/{made['id']}"))
    listed = api.call("get", _sessions(api, order.order_id))

    assert one.status_code == 200, one.content
    assert {k: v for k, v in made.items() if k != "calls"} == one.json()
    assert listed.json()["sessions"] == [one.json()]


def test_a_paid_session_answers_when_it_was_processed(api, order, client):
    made = api.call("post", _sessions(api, order.order_id), DINTERO_BODY).json()
    session = PaymentSession.objects.get(pk=made["id"])
    txn = SandboxGateway(BASE).session_pay(session.session_id)
    assert client.get(f"/payments/callback/{session.pk}?transaction_id={txn.id}").status_code == 200

    body = api.call("get", _sessions(api, order.order_id, f"/{made['id']}")).json()

    assert body["status"] == "authorized" and body["processed_at"]
    assert api.call("get", f"orders/{order.order_id}").json()["authorized_amount"] == 39800


def test_an_amount_takes_part_of_a_line_and_integer_line_ids_are_taken(api, order):
    body = {"items": [{"line_id": 1, "amount": 9800}, {"line_id": 2}]}
    response = api.call("post", _sessions(api, order.order_id), body)
    assert response.status_code == 201, response.content
    assert response.json()["items"] == [{"line_id": 1, "amount": 9800}, {"line_id": 2, "amount": 10000}]


def test_asking_again_for_the_same_lines_answers_the_same_link(api, order):
    first = api.call("post", _sessions(api, order.order_id), DINTERO_BODY).json()
    again = api.call("post", _sessions(api, order.order_id), DINTERO_BODY)
    assert again.status_code in (200, 201), again.content
    assert again.json()["id"] == first["id"]
    assert PaymentSession.objects.filter(order=order).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": [{"line_id": "one"}]}, "items[0].line_id"),
        ({"items": [{"line_id": 0}]}, "items[0].line_id"),
        ({"items": [{"line_id": True}]}, "items[0].line_id"),
        ({"items": [{"line_id": "1"}, {"line_id": 1}]}, "items[1].line_id"),
        ({"items": [{"line_id": 1, "amount": -5}]}, "items[0].amount"),
        ({"items": [{"line_id": 9}]}, "items[0].line_id"),
        ({**DINTERO_BODY, "profile_id": "another"}, "profile_id"),
        ({**DINTERO_BODY, "url": {"return_url": "not a url"}}, "url.return_url"),
        ({**DINTERO_BODY, "colour": "red"}, "colour"),
        ([DINTERO_BODY], ""),
    ],
)
def test_a_bad_body_is_a_400_that_makes_no_link(api, order, body, field):
    before = snapshot()
    error = assert_error(api.call("post", _sessions(api, order.order_id), body), 400, "invalid_request")
    if field:
        assert field in {e["field"] for e in error["errors"]}, error
    assert snapshot() == before
    assert not PaymentSession.objects.exists()


def test_a_line_with_nothing_left_or_a_cancelled_or_closed_order_is_a_409(account, api):
    paid = make_order(account, authorized=True)
    assert_error(
        api.call("post", _sessions(api, paid.order_id), DINTERO_BODY), 409, "ledger_conflict", "line 1"
    )
    closed = make_order(account)
    order_close(order=closed, actor=TEST_ACTOR)
    assert_error(api.call("post", _sessions(api, closed.order_id), DINTERO_BODY), 409, "conflict", "closed")
    cancelled = make_order(account)
    api.call("post", f"orders/{cancelled.order_id}/cancel")
    assert_error(api.call("post", _sessions(api, cancelled.order_id), DINTERO_BODY), 409, "order_cancelled")
    assert not PaymentSession.objects.exists()


def test_unknown_orders_sessions_and_other_accounts_are_404(api, order, other_account):
    theirs = make_order(other_account)
    before = snapshot()
    for oid in ("NOPE", theirs.order_id):
        assert_error(api.call("post", _sessions(api, oid), DINTERO_BODY), 404, "not_found")
        assert_error(api.call("get", _sessions(api, oid)), 404, "not_found")
    for sid in ("not-a-uuid", "6d1c5f2e-9a5e-4e0e-8d3e-4c1f2b7a9e01"):
        assert_error(api.call("get", _sessions(api, order.order_id, f"/{sid}")), 404, "not_found")
    assert snapshot() == before


def test_another_orders_session_is_not_found_under_this_order(account, api, order):
    made = api.call("post", _sessions(api, order.order_id), DINTERO_BODY).json()
    other = make_order(account)
    assert_error(api.call("get", _sessions(api, other.order_id, f"/{made['id']}")), 404, "not_found")


def test_a_read_only_token_reads_sessions_but_makes_none(account, make_api, order):
    reader = make_api(account, "read:shopping")
    assert reader.call("get", _sessions(reader, order.order_id)).json() == {"sessions": []}
    assert_error(reader.call("post", _sessions(reader, order.order_id), DINTERO_BODY), 403)


def test_the_profile_may_be_left_out_and_is_this_deployments(api, order):
    assert settings.DINTERO_PROFILE_ID == "default"
    body = {"items": [{"line_id": "2"}]}
    response = api.call("post", _sessions(api, order.order_id), body)
    assert response.status_code == 201, response.content
    assert "profile_id" not in response.json() and response.json()["metadata"] == {}


def test_orders_api_paths_are_unchanged_beside_the_sessions(api, order):
    assert api.call("get", f"orders/{order.order_id}").status_code == 200
    assert api.call("get", f"orders/{order.order_id}/events").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sessions_for_the_same_line_at_once_make_one_link(account, make_api):
    api = make_api(account)
    order = make_order(account)
    clients = [client_like(api), client_like(api)]
    responses = at_once(2, lambda i: clients[i].call("post", _sessions(api, order.order_id), DINTERO_BODY))
    assert all(r.status_code in (200, 201, 409) for r in responses), [r.content for r in responses]
    assert PaymentSession.objects.filter(order=order).count() == 1


def test_an_order_with_a_payable_link_is_not_closed_until_the_link_is_withdrawn(api, order):
    """A link paid after closing would record an authorization the closed order refuses."""
    made = api.call("post", _sessions(api, order.order_id), DINTERO_BODY).json()
    before = snapshot()

    refused = api.call("delete", f"orders/{order.order_id}/open")

    assert_error(refused, 409, "ledger_conflict", "cannot be closed", made["id"][:8], "withdraw the link")
    assert snapshot() == before
    session_withdraw(session=PaymentSession.objects.get(pk=made["id"]), actor=TEST_ACTOR)
    closed = api.call("delete", f"orders/{order.order_id}/open")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed"


def test_an_authorized_order_with_no_link_under_way_closes_and_its_captures_at_the_provider_are_refused(
    account, api
):
    order = make_order(account)
    sandbox_paid(order)
    assert api.call("delete", f"orders/{order.order_id}/open").status_code == 200
    before = snapshot()
    refused = api.post(f"/v1/accounts/{api.aid}/payments/orders/{order.order_id}/capture", {}, format="json")
    assert_error(refused, 409, "conflict", "closed")
    assert snapshot() == before
    voided = api.post(f"/v1/accounts/{api.aid}/payments/orders/{order.order_id}/void", {}, format="json")
    assert voided.status_code == 201, voided.content


@pytest.mark.parametrize("name", ["profile_id", "url", "metadata", "processed_at"])
def test_null_for_what_the_body_leaves_out_is_taken(api, order, name):
    response = api.call("post", _sessions(api, order.order_id), {"items": [{"line_id": "1"}], name: None})
    assert response.status_code == 201, response.content
    assert response.json()["metadata"] == {}


def test_long_metadata_is_answered_whole_up_to_its_limit_and_refused_beyond(api, order):
    metadata = {"note": "v" * 9_900}
    made = api.call("post", _sessions(api, order.order_id), {"items": [{"line_id": 1}], "metadata": metadata})
    assert made.status_code == 201, made.content
    assert made.json()["metadata"] == metadata
    again = api.call("get", _sessions(api, order.order_id, f"/{made.json()['id']}")).json()
    assert again["metadata"] == metadata
    before = snapshot()
    too_long = {"items": [{"line_id": 2}], "metadata": {"note": "v" * 11_000}}
    assert_error(
        api.call("post", _sessions(api, order.order_id), too_long), 400, "invalid_request", "metadata"
    )
    assert snapshot() == before
