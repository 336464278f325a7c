"""`Idempotency-Key`: the same key and body replay the first response without writing again;
the same key with another request is a 409; keys belong to one account."""

import pytest

from backoffice.models import IdempotencyRecord
from orders.models import DraftOrder, Event, Order, PaymentOperation
from tests.support.api import assert_error, draft_new, snapshot
from tests.support.orders import SEED_DRAFT, make_order, op_body


def with_key(api, method: str, path: str, body, key: str = "key-1"):
    return api.call(method, path, body, HTTP_IDEMPOTENCY_KEY=key)


def test_a_replayed_capture_answers_the_same_and_records_once(api, account):
    order = make_order(account)
    oid = order.order_id
    with_key(api, "post", f"orders/{oid}/authorizations", op_body([(1, 39800)]), "auth-1")
    first = with_key(api, "post", f"orders/{oid}/captures", op_body([(1, 39800)]), "cap-1")
    assert first.status_code == 201, first.content
    again = with_key(api, "post", f"orders/{oid}/captures", op_body([(1, 39800)]), "cap-1")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentOperation.objects.filter(kind="capture").count() == 1
    assert Event.objects.filter(kind="capture_recorded").count() == 1
    assert IdempotencyRecord.objects.filter(key="cap-1").count() == 1
    assert api.call("get", f"orders/{oid}").json()["captured_amount"] == 39800


def test_a_replayed_draft_creation_and_completion(api):
    first = with_key(api, "post", "draft_orders", SEED_DRAFT, "draft-1")
    again = with_key(api, "post", "draft_orders", SEED_DRAFT, "draft-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert DraftOrder.objects.count() == 1
    path = f"draft_orders/{first.json()['id']}/complete"
    done = with_key(api, "put", path, None, "complete-1")
    replay = with_key(api, "put", path, None, "complete-1")
    assert (replay.status_code, replay.json()) == (200, done.json())
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(api, account):
    oid = make_order(account).order_id
    with_key(api, "post", f"orders/{oid}/authorizations", op_body([(1, 100)]))
    before = snapshot()
    assert_error(
        with_key(api, "post", f"orders/{oid}/authorizations", op_body([(1, 200)])), 409, "conflict", "key-1"
    )
    assert_error(with_key(api, "post", f"orders/{oid}/captures", op_body([(1, 100)])), 409, "conflict")
    assert_error(with_key(api, "post", "draft_orders", SEED_DRAFT), 409, "conflict")
    assert snapshot() == before


def test_keys_belong_to_one_account(api, account, other_account, make_api):
    theirs = make_api(other_account)
    mine = with_key(api, "post", "draft_orders", SEED_DRAFT, "shared")
    other = with_key(theirs, "post", "draft_orders", SEED_DRAFT, "shared")
    assert (mine.status_code, other.status_code) == (201, 201)
    assert mine.json()["id"] != other.json()["id"]
    assert DraftOrder.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="shared").count() == 2


def test_a_refusal_is_replayed_as_it_was_answered(api, account):
    oid = make_order(account).order_id
    first = with_key(api, "post", f"orders/{oid}/captures", op_body([(1, 100)]), "too-early")
    assert first.status_code == 409
    again = with_key(api, "post", f"orders/{oid}/captures", op_body([(1, 100)]), "too-early")
    assert (again.status_code, again.json()) == (409, first.json())
    assert not PaymentOperation.objects.exists()


def test_without_a_key_every_request_writes(api):
    draft_new(api)
    draft_new(api)
    assert DraftOrder.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_a_bad_key_is_400(api, key):
    before = snapshot()
    assert_error(
        with_key(api, "post", "draft_orders", SEED_DRAFT, key), 400, "invalid_request", "Idempotency-Key"
    )
    assert snapshot() == before


def test_a_malformed_body_with_a_key_is_400_and_keeps_no_record(api):
    response = api.post(
        api.url("draft_orders"), b"{", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert_error(response, 400, "invalid_request")
    assert not IdempotencyRecord.objects.exists()
