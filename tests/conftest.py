"""Fixtures every folder of tests may use; the helpers behind them are in tests/support/."""

import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test import Client

from backoffice.db_router import REPLICA, replica_configured
from backoffice.roles import ADMINISTRATOR, ORDER_PERMISSIONS, ROLE_PERMISSIONS
from tests.support.api import ShoppingApi, token_for
from tests.support.factories import AID, OTHER_AID, AccountFactory, UserFactory, api_client_for

pytest_plugins = ["tests.support.browser"]


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: skip them on SQLite.

    With a read replica configured, transactional tests may read through it (lag-tolerant
    pages do, outside a transaction), so they are given both databases."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for test in items:
        if "postgres" in test.keywords and not on_postgres:
            test.add_marker(skip)
        marker = test.get_closest_marker("django_db")
        if replica_configured() and marker and marker.kwargs.get("transaction"):
            kwargs = {**marker.kwargs, "databases": ["default", REPLICA]}
            test.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate limits live in the shared cache (the database): start every test with none counted."""
    names = set(request.fixturenames)
    if "transactional_db" in names or "live_server" in names:
        request.getfixturevalue("transactional_db")
    elif "db" in names:
        request.getfixturevalue("db")
    elif not request.node.get_closest_marker("django_db"):
        return
    cache.clear()


@pytest.fixture
def account(db):
    return AccountFactory(aid=AID, name="Demo shop")


@pytest.fixture
def other_account(db):
    return AccountFactory(aid=OTHER_AID, name="Other shop")


@pytest.fixture
def make_api(db):
    """`make_api(account, "read:shopping")` -> a ShoppingApi with a fresh token."""

    def make(account, scopes: str = "admin:shopping", aid: str | None = None) -> ShoppingApi:
        client, secret = api_client_for(account, scopes)
        return ShoppingApi(aid or account.aid, token_for(client, secret, account.aid))

    return make


@pytest.fixture
def api(account, make_api) -> ShoppingApi:
    return make_api(account)


@pytest.fixture
def roles(db):
    """The role groups come from a data migration, and a transactional test's flush removes
    them: make sure they are there, with their permissions."""
    for name, codenames in {**ROLE_PERMISSIONS, ADMINISTRATOR: ORDER_PERMISSIONS}.items():
        group, _ = Group.objects.get_or_create(name=name)
        if not group.permissions.exists():
            group.permissions.set(
                Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
            )


@pytest.fixture
def staff(account, roles):
    """Staff users of the account, one per role."""
    return {
        role: UserFactory(username=f"{role.split()[0].lower()}", role=role, accounts=[account])
        for role in ("Customer service", "Finance", "Administrator")
    }


@pytest.fixture
def login(staff):
    """`login("Finance")` -> a test client signed in as the account's finance user."""

    def make(role: str = "Administrator", **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(staff[role])
        return client

    return make


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
