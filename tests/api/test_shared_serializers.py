"""The operation endpoints' serializers, shared within a thread (`backoffice.api.serializers.
shared`): they answer and refuse as a fresh instance does, and no call sees another's input."""

import threading

import pytest

from backoffice.api.errors import validated, validated_as
from backoffice.api.serializers import shared
from backoffice.errors import InvalidInput
from orders.api.inputs import OperationInputSerializer
from orders.api.serializers import OperationSerializer
from orders.models import ItemAmount, OperationKind
from orders.services.operations import operation_record
from tests.support.orders import TEST_ACTOR, item, make_order

GOOD = [
    {"items": [{"line_id": 1, "amount": 1000}], "payment_details": {"payment_id": "P1"}},
    {
        "items": [{"line_id": 2, "amount": 5}, {"line_id": 1, "amount": 7}],
        "payment_details": {"payment_id": "P2", "extra": "kept"},
        "success": False,
        "metadata": {"reason": "late"},
        "authorization_id": "A",
        "processed_at": "2026-12-01T10:00:00Z",
    },
]
BAD = [
    {},
    {"items": [], "payment_details": {"payment_id": "P"}},
    {"items": [{"line_id": 1}], "payment_details": {}},
    {"items": [{"line_id": "x", "amount": 1.5}], "payment_details": {"payment_id": "P"}, "success": "yes"},
    {"items": "no", "payment_details": {"payment_id": "P"}, "unknown": 1},
    {"items": [{"line_id": 1, "amount": 1}], "payment_details": {"payment_id": "P"}, "metadata": []},
]
NOT_OBJECTS = [None, [], "text", 3]
# The edges of every field: huge and infinite numbers, NUL, very long text, forged types.
EDGES = [
    {"items": [{"line_id": 1, "amount": 10**30}], "payment_details": {"payment_id": "P"}},
    {"items": [{"line_id": 1, "amount": 1e309}], "payment_details": {"payment_id": "P"}},
    {"items": [{"line_id": 10**20, "amount": -1}], "payment_details": {"payment_id": "P"}},
    {"items": [{"line_id": 1, "amount": 1}], "payment_details": {"payment_id": "a\x00b"}},
    {"items": [{"line_id": 1, "amount": 1}], "payment_details": {"payment_id": "x" * 100_000}},
    {"items": [{"line_id": 1, "amount": True}], "payment_details": {"payment_id": "P"}},
    {"items": [{"line_id": 1, "amount": 1}], "payment_details": "P", "processed_at": "not a date"},
    {"items": [{"line_id": 1, "amount": 1}] * 1000, "payment_details": {"payment_id": "P"}},
]


def _outcome(check, body):
    try:
        return "validated", check(body)
    except InvalidInput as refused:
        return "refused", [(e.field, e.message) for e in refused.errors]


def _refusal(check, body) -> list:
    with pytest.raises(InvalidInput) as refused:
        check(body)
    return [(e.field, e.message) for e in refused.value.errors]


def test_the_shared_input_validates_and_refuses_as_a_fresh_one():
    # Interleaved, so that what one body leaves (if anything) would show in the next.
    for body in [*GOOD, *BAD, *GOOD, *NOT_OBJECTS, *BAD]:
        if body in GOOD:
            assert validated_as(OperationInputSerializer, body) == validated(
                OperationInputSerializer(data=body)
            )
        else:
            theirs = _refusal(lambda b: validated(OperationInputSerializer(data=b)), body)
            assert _refusal(lambda b: validated_as(OperationInputSerializer, b), body) == theirs
            assert theirs


def test_at_the_edges_the_shared_input_answers_as_a_fresh_one():
    for body in [*EDGES, *GOOD, *EDGES]:
        fresh = _outcome(lambda b: validated(OperationInputSerializer(data=b)), body)
        assert _outcome(lambda b: validated_as(OperationInputSerializer, b), body) == fresh
    refused = [_outcome(lambda b: validated_as(OperationInputSerializer, b), b)[0] for b in EDGES]
    assert refused.count("refused") >= 6  # what the body alone can tell is wrong


def test_a_default_is_never_one_object_shared_between_calls():
    first = validated_as(OperationInputSerializer, GOOD[0])
    first["metadata"]["changed"] = True
    first["payment_details"]["changed"] = True
    again = validated_as(OperationInputSerializer, GOOD[0])
    assert again["metadata"] == {} and "changed" not in again["payment_details"]


def test_the_shared_output_answers_as_a_fresh_one(account):
    order = make_order(account, [item(1), item(2)], authorized=True)
    captured = operation_record(
        order=order,
        kind=OperationKind.CAPTURE,
        items=[ItemAmount(1, 100)],
        payment_id="P",
        actor=TEST_ACTOR,
        processed_by="psp",
    )
    for operation in [*order.operations.all(), captured]:
        assert shared(OperationSerializer).to_representation(operation) == OperationSerializer(operation).data


def test_each_thread_has_its_own_instance():
    mine = shared(OperationInputSerializer)
    assert shared(OperationInputSerializer) is mine
    seen = []
    thread = threading.Thread(target=lambda: seen.append(shared(OperationInputSerializer)))
    thread.start()
    thread.join()
    assert seen[0] is not mine and isinstance(seen[0], OperationInputSerializer)
