"""The CSV streams in constant memory and cannot smuggle spreadsheet formulas."""

import datetime as dt
import tracemalloc

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.actor import Actor
from finance.export import (
    COLUMNS,
    ENTRY_COLUMNS,
    IN_INDEX_ORDER,
    _copy_statement,
    cell,
    csv_lines,
    export_lines,
    major,
)
from finance.reports import Scope, finance_entries, finance_rows, period_for
from orders.models import FinanceEntry, OperationItem, OperationKind, PaymentOperation
from orders.services.finance_rollup import finance_days_rebuild
from tests.support.orders import item, make_order, record

from .pages import csv_rows


def test_cells_that_look_like_formulas_are_defused_but_numbers_stay_numbers():
    for text in ("=1+2", "+47 22 00 00 00", "-2+3", "@SUM(A1:A9)", "\t=x", "\r=x"):
        assert cell(text) == "'" + text
    for text in ("PID_123", "Stablestol", "", "1=1", "a-b"):
        assert cell(text) == text
    assert cell(major(-39800, "NOK")) == "-398.00"
    assert cell(major(5, "JPY")) == "5"
    assert cell(major(-1, "KWD")) == "-0.001"


def test_a_cell_holding_a_carriage_return_is_quoted_as_postgresql_quotes_it():
    created = timezone.now()
    row = (created, "B1", 1, "Stol\rrød", "capture", 39800, 7960, 25, 25, "NOK", "", "api:shop", "op")
    lines = list(csv_lines([row, (created, "B1", 2, "Bord", *row[4:])]))

    assert ',"Stol\rrød",' in lines[1] and lines[1].endswith(",op\n") and "\r\n" not in lines[1]
    assert ",Bord," in lines[2] and lines[2].endswith(",op\n")
    assert [row["SKU"] for row in csv_rows("".join(lines).encode())] == ["Stol\rrød", "Bord"]


def test_export_escapes_text_cells_and_keeps_negative_amounts_numeric(client, account, staff):
    order = make_order(
        account, [item(1, 39800, 25, id='=HYPERLINK("http://x")')], actor=Actor(system="@attacker")
    )
    record(order, "authorization", [(1, 39800)], payment_id="+PID")
    record(order, "capture", [(1, 39800)], payment_id="-PID", actor=Actor(system="=cmd|' /C calc'!A0"))
    client.force_login(staff["Finance"])

    response = client.get(f"/{account.aid}/finance/export.csv?period=today&kind=capture")

    rows = csv_rows(b"".join(response.streaming_content))
    assert len(rows) == 1
    row = rows[0]
    assert row["SKU"] == '\'=HYPERLINK("http://x")'
    assert row["payment id"] == "'-PID"
    assert row["actor"] == "'=cmd|' /C calc'!A0"
    assert row["amount"] == "398.00" and row["VAT"] == "79.60" and row["VAT rate"] == "25 %"
    assert response["Content-Disposition"].startswith('attachment; filename="finance-T12345678-')


def test_negative_amounts_of_reversal_lines_are_not_escaped(client, account, staff, api):
    from .scenario import _op, _order

    order = _order(
        api,
        "NOK",
        [
            {
                "id": "A",
                "line_id": 1,
                "quantity": 1,
                "gross_amount": 39800,
                "tax_lines": [{"amount": 7960, "percentage": 25}],
            }
        ],
    )
    oid = order["order_id"]
    _op(api, oid, "authorization", [(1, 39800)])
    _op(api, oid, "capture", [(1, 39800)])
    _order(
        api,
        "NOK",
        [
            {
                "id": "A",
                "line_id": 2,
                "quantity": 1,
                "gross_amount": -39800,
                "tax_lines": [{"amount": -7960, "percentage": 25}],
                "related_item": {"line_id": 1, "type": "reversed"},
            }
        ],
        {"order_id": oid},
    )
    _op(api, oid, "authorization", [(2, -39800)])
    _op(api, oid, "capture", [(2, -39800)])
    client.force_login(staff["Finance"])

    rows = csv_rows(
        b"".join(client.get(f"/{account.aid}/finance/export.csv?period=today&kind=capture").streaming_content)
    )

    assert sorted((r["amount"], r["VAT"]) for r in rows) == [("-398.00", "-79.60"), ("398.00", "79.60")]


def test_export_streams_many_rows_in_small_memory(client, account, staff):
    order = make_order(account, [item(1, 10_000_000, 25)])
    line = order.lines.get()
    count = 20_000
    now = timezone.now() - dt.timedelta(minutes=1)
    ops = PaymentOperation.objects.bulk_create(
        PaymentOperation(
            order=order,
            kind=OperationKind.CAPTURE,
            amount=100,
            payment_id=f"PID_{i}",
            created_by="tests",
            created_at=now,
        )
        for i in range(count)
    )
    OperationItem.objects.bulk_create(OperationItem(operation=op, line=line, amount=100) for op in ops)
    finance_days_rebuild(account.pk)  # as recording them would have: their rollup and entries
    client.force_login(staff["Finance"])
    # A first request imports the URL configuration and the views: not the export's memory.
    b"".join(client.get(f"/{account.aid}/finance/export.csv?period=today&kind=refund").streaming_content)

    tracemalloc.start()
    try:
        response = client.get(f"/{account.aid}/finance/export.csv?period=today")
        assert response.streaming
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert lines == count + 1
    assert size > 2_300_000
    # Rows are read in chunks and written one by one (or block by block): far less than the
    # file itself (holding the rows as model instances would take ten times its size).
    assert peak < 1_500_000, f"peak {peak} bytes for a {size} byte export"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes the CSV itself")
def test_postgresql_writes_the_same_csv_as_python_to_the_byte(account, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    awkward = 'Stol, "rød"\nmed =pute'
    nok = make_order(
        account,
        [
            item(1, 39800, 25, id="=SUM(A1)"),
            item(
                2,
                11250,
                id=awkward,
                tax_lines=[{"amount": 1000, "percentage": 12.5}, {"amount": 250, "percentage": 0}],
            ),
            item(3, 100, 0, id="+0"),
            # Below "A" but no formula, a formula's other starts, and above ASCII.
            item(4, 200, 0, id="9 kg"),
            item(5, 300, 0, id="@ref"),
            item(6, 400, 0, id="\rX"),
            item(7, 500, 0, id="Ærø"),
        ],
        actor=Actor(system="@system"),
    )
    record(
        nok,
        "authorization",
        [(1, 39800), (2, 11250), (3, 100), (4, 200), (5, 300), (6, 400), (7, 500)],
        payment_id="=PAY",
    )
    record(nok, "capture", [(1, 39800), (2, 11250)], payment_id="-PID")
    record(nok, "refund", [(1, 100)], payment_id="\tPID", actor=Actor(system="-1+1"))
    for currency, gross in (("JPY", 5), ("KWD", 1001), ("NOK", 1)):
        order = make_order(account, [item(1, gross, 25)], currency=currency)
        record(order, "authorization", [(1, gross)], payment_id=f"P{currency}")
    scope = Scope(accounts=(account,), period=period_for("today", None, None))
    rows = finance_rows(scope).values_list(*COLUMNS)

    written = b"".join(export_lines(scope))

    assert written == "".join(csv_lines(rows.iterator())).encode()
    assert written.startswith("\ufeffdate,".encode()) and written.count(b"\n") > 9
    assert "'=SUM(A1)" in written.decode() and ",-398.00," not in written.decode()
    assert all(cell in written.decode() for cell in (",9 kg,", ",'@ref,", ",Ærø,", ',"\'\rX",'))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL writes the CSV itself")
def test_postgresql_reads_the_entries_in_the_index_order_without_sorting_them(account):
    order = make_order(account, [item(1, 39800, 25), item(2, 10000, 15)])
    record(order, "authorization", [(1, 39800), (2, 10000)], payment_id="PID")
    scope = Scope(accounts=(account,), period=period_for("this_month", None, None))
    statement, params = _copy_statement(finance_entries(scope).values_list(*ENTRY_COLUMNS), "Europe/Oslo")
    select = statement.removeprefix("COPY (").removesuffix(") TO STDOUT (FORMAT csv)")
    with transaction.atomic(), connection.cursor() as cursor:
        # However dear the planner thinks reading the index is (as it does of a big month's).
        cursor.execute("SET LOCAL random_page_cost = 1000")
        cursor.execute(IN_INDEX_ORDER)
        cursor.execute(f"EXPLAIN {select}", params)
        plan = "\n".join(row for (row,) in cursor.fetchall())
    assert "Index Scan using finance_entry_time" in plan and "Sort" not in plan, plan


def test_the_export_streams_with_its_queries_logged_as_with_debug_on(client, account, staff):
    # With DEBUG on, Django's cursor logs each query: the database's CSV goes through it too.
    order = make_order(account)
    record(order, "authorization", [(1, 39800)], payment_id="PID")
    client.force_login(staff["Finance"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/{account.aid}/finance/export.csv?period=today")
        rows = csv_rows(b"".join(response.streaming_content))
    assert [row["amount"] for row in rows] == ["398.00"]
    assert any("COPY" in query["sql"] for query in queries) == (connection.vendor == "postgresql")


def test_the_csv_rows_are_written_with_each_operation_and_rebuilt_with_the_rollup(account):
    order = make_order(account, [item(1, 39800, 25), item(2, 10000, 15)])
    record(order, "authorization", [(1, 39800), (2, 10000)], payment_id="PID")
    record(order, "capture", [(1, 39800)], payment_id="PID")
    record(order, "refund", [(1, 100)], payment_id="PID", success=False)  # moves no money
    entries = FinanceEntry.objects.filter(operation__order=order)
    assert sorted(entries.values_list("kind", "line_id", "amount", "vat", "rate_min")) == [
        ("authorization", 1, 39800, 7960, 25),
        ("authorization", 2, 10000, 1304, 15),
        ("capture", 1, 39800, 7960, 25),
    ]
    assert set(entries.values_list("order_id", "sku", "currency", "payment_id")) == {
        (order.order_id, "175938", "NOK", "PID")
    }
    # Operations dated after they were recorded (the demo data): rebuilt, the rows follow them.
    then = timezone.now() - dt.timedelta(days=40)
    PaymentOperation.objects.filter(order=order).update(created_at=then)
    finance_days_rebuild(account.pk)
    assert set(entries.values_list("created_at", flat=True)) == {then} and entries.count() == 3
