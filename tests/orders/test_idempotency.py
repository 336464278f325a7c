"""`Idempotency-Key`: the same key and body replay the first response without writing again;
the same key with another request is a 409; keys belong to one account."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from backoffice.api.idempotency import STALE_AFTER, _fingerprint
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


def test_a_retry_finds_its_key_before_it_writes_or_locks_anything(api, account):
    order = make_order(account, authorized=True)
    path = f"orders/{order.order_id}/captures"
    assert with_key(api, "post", path, op_body([(1, 100)]), "cap").status_code == 201
    with CaptureQueriesContext(connection) as queries:
        again = with_key(api, "post", path, op_body([(1, 100)]), "cap")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    touched = [q["sql"] for q in queries if "orders_" in q["sql"]]
    assert not touched, touched  # the order is neither read, locked nor written


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


def _held_key(account, path: str, body, key: str, age: timedelta) -> IdempotencyRecord:
    """A key claimed by a request that has not answered (yet), `age` ago."""
    factory_request = APIRequestFactory().post(path, body, format="json")
    request = Request(factory_request, parsers=[JSONParser()])
    record = IdempotencyRecord.objects.create(account=account, key=key, fingerprint=_fingerprint(request))
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=timezone.now() - age)
    return record


def test_a_key_held_by_a_request_still_under_way_is_409_and_writes_nothing(api, account):
    order = make_order(account, authorized=True)
    path, body = f"orders/{order.order_id}/captures", op_body([(1, 100)])
    _held_key(account, api.url(path), body, "busy", timedelta(seconds=5))
    response = with_key(api, "post", path, body, "busy")
    assert_error(response, 409, None, "still being processed")
    assert not PaymentOperation.objects.filter(kind="capture").exists()


def test_a_key_left_by_a_request_that_died_is_taken_over(api, account):
    order = make_order(account, authorized=True)
    path, body = f"orders/{order.order_id}/captures", op_body([(1, 100)])
    _held_key(account, api.url(path), body, "died", STALE_AFTER + timedelta(seconds=1))
    response = with_key(api, "post", path, body, "died")
    assert response.status_code == 201, response.content
    assert PaymentOperation.objects.filter(kind="capture").count() == 1
    record = IdempotencyRecord.objects.get(key="died")
    assert (record.status_code, record.response_body["id"]) == (201, response.json()["id"])
