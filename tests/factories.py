"""Kept importable for the tests that still import from here: the factories and the order
builder live in tests/support/ (`factories`, `orders`)."""

from tests.support.factories import AccountFactory, UserFactory, api_client_for
from tests.support.orders import SEED_DRAFT, SEED_ITEM, TEST_ACTOR, item, make_order, record

__all__ = [
    "SEED_DRAFT",
    "SEED_ITEM",
    "TEST_ACTOR",
    "AccountFactory",
    "UserFactory",
    "api_client_for",
    "item",
    "make_order",
    "record",
]
