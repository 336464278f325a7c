"""Kept importable for the tests that still import from here: request helpers live in
tests/support/api.py, bodies in tests/support/orders.py."""

from tests.support.api import assert_error, complete, draft_new, order_new, order_update, snapshot
from tests.support.api import operation_new as record
from tests.support.orders import draft_body, line, op_body, reversal

__all__ = [
    "assert_error",
    "complete",
    "draft_body",
    "draft_new",
    "line",
    "op_body",
    "order_new",
    "order_update",
    "record",
    "reversal",
    "snapshot",
]
