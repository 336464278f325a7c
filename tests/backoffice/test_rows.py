"""Reads by SQL written once (`backoffice.rows`) make what the ORM makes: the same instances,
the same relations already loaded, the same API answers; in the statements they say. Writes
store what the ORM stores."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.api.tokens import _token_row, token_read
from backoffice.errors import NotFound
from backoffice.models import AccessToken, IdempotencyRecord
from backoffice.rows import (
    columns,
    insert,
    inserting,
    prefetched,
    table,
    update,
    updating_each,
    written,
)
from orders import selectors
from orders.api.serializers import OrderSerializer
from orders.models import (
    Event,
    EventKind,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    PaymentOperation,
    TaxLine,
)
from orders.services.operations import operation_record
from tests.orders.test_query_counts import large_order
from tests.support.orders import TEST_ACTOR, item, make_order


def _values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _read(model, pk):
    made = columns(model, "x", connection)
    with connection.cursor() as cursor:
        key = model._meta.pk.get_db_prep_value(pk, connection)
        cursor.execute(f"SELECT {made.select} FROM {table(model, connection)} x WHERE x.id = %s", [key])
        return made.instance(cursor.fetchone(), 0, connection)


def test_columns_make_each_field_as_the_orm_does(api, account):
    """JSON, dates, UUIDs, booleans and money alike, on either backend's converters."""
    order = large_order(account, api)
    line = order.lines.order_by("line_id").last()
    for model, pk in [
        (Order, order.pk),
        (OrderLine, line.pk),
        (TaxLine, TaxLine.objects.filter(line__order=order).first().pk),
        (AccessToken, AccessToken.objects.first().pk),
    ]:
        made, loaded = _read(model, pk), model.objects.get(pk=pk)
        assert _values(made) == _values(loaded)
        assert made._state.db == loaded._state.db and not made._state.adding


def test_the_order_read_answers_as_the_querysets_did_in_three_statements(api, account):
    order = large_order(account, api)  # reversals, several tax lines, payments on every line
    with CaptureQueriesContext(connection) as read:
        fast = selectors.order_get(account=account, order_id=order.order_id)
        answer = OrderSerializer(fast).data  # lines, related lines, tax lines: nothing more to read
    assert len(read.captured_queries) == 3
    slow = selectors.order_list(account=account).filter(order_id=order.order_id).first()
    assert answer == OrderSerializer(slow).data
    reversals = [line for line in fast.lines.all() if line.related_line_id]
    assert reversals and all(line.related_line.pk == line.related_line_id for line in reversals)
    for mine, theirs in zip(fast.lines.all(), slow.lines.all(), strict=True):
        assert _values(mine) == _values(theirs)
        assert [_values(t) for t in mine.tax_lines.all()] == [_values(t) for t in theirs.tax_lines.all()]
        assert mine.order is fast and all(t.line is mine for t in mine.tax_lines.all())


def test_an_order_of_another_account_is_not_found(account, other_account):
    order = make_order(account, [item(1, 1000)])
    with pytest.raises(NotFound):
        selectors.order_get(account=other_account, order_id=order.order_id)


def test_a_prefetched_relation_answers_without_a_query_and_still_filters(account):
    order = make_order(account, [item(1, 1000), item(2, 500)])
    lines = list(OrderLine.objects.filter(order=order).order_by("line_id"))
    prefetched(order, "lines", lines)
    with CaptureQueriesContext(connection) as read:
        assert list(order.lines.all()) == lines and order.lines.count() == 2
    assert read.captured_queries == []
    # Filtering makes a new query, as it does after prefetch_related.
    assert [line.line_id for line in order.lines.filter(line_id=2)] == [2]


def test_the_token_row_comes_with_its_client_and_account_in_one_statement(api, account):
    token = AccessToken.objects.select_related("client__account").get()
    with CaptureQueriesContext(connection) as read:
        found = _token_row(token.token_hash)
        assert (found.client.client_id, found.client.account.aid) == (token.client.client_id, account.aid)
    assert len(read.captured_queries) == 1
    assert _values(found) == _values(token) and _values(found.client) == _values(token.client)
    assert _token_row("0" * 64) is None
    raw = api._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    assert token_read(raw).pk == token.pk


def test_the_order_page_reads_the_lines_as_the_api_does_with_plain_vat_rates(api, account):
    order = large_order(account, api)
    with CaptureQueriesContext(connection) as read:
        page = selectors.order_page_get(account=account, order_id=order.order_id)
        lines = list(page.lines.all())
        related = [line.related_line for line in lines]
    assert len(read.captured_queries) == 3  # the order, its lines with their related lines, the rates
    full = selectors.order_get(account=account, order_id=order.order_id)
    assert [_values(line) for line in lines] == [_values(line) for line in full.lines.all()]
    assert [r and r.pk for r in related] == [line.related_line_id for line in full.lines.all()]
    for line, same in zip(lines, full.lines.all(), strict=True):
        assert line.vat_rates == [t.percentage for t in same.tax_lines.all()]


# Writes ----------------------------------------------------------------------------------------


def _stored(model, pk) -> dict:
    return _values(model.objects.get(pk=pk))


def test_insert_writes_what_bulk_create_writes_and_reads_an_auto_key_back(account):
    order = make_order(account, [item(1), item(2)])
    lines = list(order.lines.order_by("line_id"))
    when = timezone.now()
    kept = {"reason": "ø \u2603", "nested": [1, {"a": None}]}

    def operation():
        return PaymentOperation(
            order=order,
            kind=OperationKind.CAPTURE,
            amount=500,
            payment_id="P",
            metadata=kept,
            created_at=when,
        )

    ours, theirs = operation(), operation()
    with CaptureQueriesContext(connection) as written:
        insert([ours], connection)
    assert len(written.captured_queries) == 1
    PaymentOperation.objects.bulk_create([theirs])
    mine, drf = _stored(PaymentOperation, ours.pk), _stored(PaymentOperation, theirs.pk)
    assert {**mine, "id": None} == {**drf, "id": None}
    assert mine["metadata"] == kept and not ours._state.adding and ours._state.db == "default"

    # An auto key (the items', the events') is read back onto each of several rows, in order.
    items = [OperationItem(operation=ours, line=line, amount=250) for line in lines]
    with CaptureQueriesContext(connection) as written:
        insert(items, connection)
    assert len(written.captured_queries) == 1
    assert all(i.pk for i in items) and len({i.pk for i in items}) == 2
    assert [OperationItem.objects.get(pk=i.pk).line_id for i in items] == [line.pk for line in lines]
    event = Event(order=order, kind=EventKind.NOTE_ADDED, summary="s", data={"text": "t"}, created_by="x")
    insert([event], connection)
    assert Event.objects.get(pk=event.pk).data == {"text": "t"} and event.uuid
    insert([], connection)  # nothing to write: no statement


def test_a_key_already_taken_is_the_integrity_error_the_orm_raises(account):
    first = IdempotencyRecord(account=account, key="k", fingerprint="f")
    insert([first], connection)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert([IdempotencyRecord(account=account, key="k", fingerprint="g")], connection)
    assert IdempotencyRecord.objects.filter(account=account).count() == 1


def test_update_writes_the_named_columns_as_queryset_update_does(account):
    record = IdempotencyRecord(account=account, key="k", fingerprint="f")
    insert([record], connection)
    other = IdempotencyRecord(account=account, key="other", fingerprint="f")
    insert([other], connection)
    record.status_code, record.response_body, record.fingerprint = 201, {"id": "ø", "n": [1]}, "changed"
    with CaptureQueriesContext(connection) as written:
        update(record, ("status_code", "response_body"), connection)
    assert len(written.captured_queries) == 1
    stored = IdempotencyRecord.objects.get(pk=record.pk)
    assert (stored.status_code, stored.response_body, stored.fingerprint) == (201, {"id": "ø", "n": [1]}, "f")
    assert IdempotencyRecord.objects.get(pk=other.pk).status_code is None  # by its key alone
    order = make_order(account, [item(1)])
    order = make_order(account, [item(1)])
    order.merchant_reference, order.updated_at = "ref ø", order.updated_at + timedelta(days=1)
    update(order, ("merchant_reference", "updated_at"), connection)
    assert Order.objects.filter(pk=order.pk, merchant_reference="ref ø", updated_at=order.updated_at).exists()


def test_writes_sent_together_are_one_statement_on_postgresql_and_refused_whole(account):
    order = make_order(account, [item(1), item(2)], authorized=True)
    lines = list(order.lines.order_by("line_id"))
    operation = PaymentOperation(order=order, kind=OperationKind.CAPTURE, amount=300, payment_id="P")
    items = [OperationItem(operation=operation, line=line, amount=150) for line in lines]
    for line in lines:
        line.captured_amount += 150
    event = Event(order=order, kind=EventKind.NOTE_ADDED, summary="s", created_by="x")
    writes = [
        inserting([operation], connection),
        inserting(items, connection, keys=False),  # an item refers to the operation beside it
        updating_each(lines, "captured_amount", connection),
        inserting([event], connection),
    ]
    with CaptureQueriesContext(connection) as sent:
        written(writes, connection)
    assert len(sent.captured_queries) == (1 if connection.vendor == "postgresql" else 4)
    assert event.pk and Event.objects.filter(pk=event.pk).exists()  # the last reads its key back
    assert [
        i.line_id for i in OperationItem.objects.filter(operation=operation).order_by("line__line_id")
    ] == [line.pk for line in lines]
    assert [line.captured_amount for line in order.lines.order_by("line_id")] == [150, 150]

    # A write that breaks a constraint refuses them all.
    late = PaymentOperation(order=order, kind=OperationKind.CAPTURE, amount=1, payment_id="P")
    for line in lines:
        line.captured_amount = -1  # below nothing: a check constraint of the ledger
    with pytest.raises(IntegrityError), transaction.atomic():
        written(
            [inserting([late], connection), updating_each(lines, "captured_amount", connection)],
            connection,
        )
    assert not PaymentOperation.objects.filter(pk=late.pk).exists()
    assert [line.captured_amount for line in order.lines.order_by("line_id")] == [150, 150]

    with pytest.raises(ValueError):  # keys are read back from the last write only
        written(
            [
                inserting([Event(order=order, kind=EventKind.NOTE_ADDED, summary="s")], connection),
                inserting([late], connection),
            ],
            connection,
        )


def test_updating_each_writes_what_bulk_update_writes(account):
    ours, theirs = (
        list(make_order(account, [item(1), item(2), item(3)]).lines.order_by("line_id")) for _ in "ab"
    )
    for lines in (ours, theirs):
        for n, line in enumerate(lines):
            line.description = f"line ø {n}"
    written([updating_each(ours, "description", connection)], connection)
    OrderLine.objects.bulk_update(theirs, ["description"])
    for lines in (ours, theirs):
        stored = OrderLine.objects.filter(pk__in=[line.pk for line in lines]).order_by("line_id")
        assert list(stored.values_list("description", flat=True)) == ["line ø 0", "line ø 1", "line ø 2"]


def test_an_operation_naming_no_lines_sends_no_empty_write(account):
    """As `bulk_create` and `bulk_update` of nothing did: no items' INSERT, no lines' UPDATE."""
    order = make_order(account, [item(1)], authorized=True)
    operation = operation_record(
        order=order, kind=OperationKind.CAPTURE, items=[], payment_id="P", actor=TEST_ACTOR
    )
    assert operation.amount == 0 and not OperationItem.objects.filter(operation=operation).exists()
    assert order.lines.get().captured_amount == 0
