"""Prepared statements (`backoffice/prepared.py`): the token check, the one-order read and the
API's writes are planned once per connection; the order list, its filters and search never
are, since a plan made without their values can be several times slower."""

import pytest
from django.db import connection

from backoffice.prepared import THRESHOLD, statements_prepared
from tests.support.orders import item, make_order

pytestmark = pytest.mark.postgres


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_api_hot_path_is_prepared_and_lists_are_not(api, account, login):
    order = make_order(account, [item(1, 1000), item(2, 500)])
    authorization = {"items": [{"line_id": 1, "amount": 100}], "payment_details": {"payment_id": "P1"}}
    for _ in range(3):
        assert api.call("get", f"orders/{order.order_id}").status_code == 200
        assert api.call("post", f"orders/{order.order_id}/authorizations", authorization).status_code == 201
    staff = login("Administrator")
    for query in ["", "?q=Hansen", "?sort=total", "?payment_status=AUTHORIZED"] * 3:
        assert staff.get(f"/{account.aid}/orders/{query}").status_code == 200
    assert api.call("get", "orders").status_code == 200
    prepared = _prepared()
    assert any("backoffice_accesstoken" in statement for statement in prepared)  # the token check
    assert any('FROM "orders_order" o WHERE' in statement for statement in prepared)  # read, lock
    # The operation's writes, sent as one statement (`backoffice.rows.written`).
    assert any(
        statement.startswith('WITH w0 AS (INSERT INTO "orders_paymentoperation"') for statement in prepared
    )
    # The lists' statements order by a column after filtering: none of them is prepared.
    assert not [s for s in prepared if "ORDER BY" in s and '"orders_order"."created_at" DESC' in s]
    assert any(statement.startswith('SELECT "django_session"') for statement in prepared)  # the session
    assert any('FROM "auth_user"' in statement for statement in prepared)  # the staff user, with access
    assert connection.connection.prepare_threshold is None  # as it was before each


def test_inside_the_block_only_and_as_it_was_after(db):
    connection.ensure_connection()
    assert connection.connection.prepare_threshold is None
    with statements_prepared():
        assert connection.connection.prepare_threshold == THRESHOLD
        with statements_prepared():
            pass
        assert connection.connection.prepare_threshold == THRESHOLD
        for _ in range(THRESHOLD + 1):
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 + %s", [1])
    assert any("SELECT 1 + $1" in statement for statement in _prepared())
    assert connection.connection.prepare_threshold is None


def test_off_when_the_deployment_says_so(db, settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.ensure_connection()
    with statements_prepared():
        assert connection.connection.prepare_threshold is None
