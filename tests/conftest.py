import base64
import os

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from backoffice.db_router import REPLICA, replica_configured
from backoffice.roles import ADMINISTRATOR, ORDER_PERMISSIONS, ROLE_PERMISSIONS
from tests.factories import AccountFactory, UserFactory, api_client_for

pytest_plugins = ["tests.browser"]

AID = "T12345678"
OTHER_AID = "T87654321"


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


class ShoppingApi(APIClient):
    """A DRF test client for `/v1/accounts/{aid}/shopping/`, holding a bearer token."""

    def __init__(self, aid: str, token: str | None):
        super().__init__()
        self.aid = aid
        if token:
            self.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def url(self, path: str) -> str:
        return f"/v1/accounts/{self.aid}/shopping/{path.lstrip('/')}"

    def call(self, method: str, path: str, body=None, **headers):
        return getattr(self, method.lower())(self.url(path), body, format="json", **headers)


def token_for(client, secret: str, aid: str) -> str:
    response = APIClient().post(
        f"/v1/accounts/{aid}/auth/token",
        {"grant_type": "client_credentials", "audience": f"http://testserver/v1/accounts/{aid}"},
        format="json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{client.client_id}:{secret}".encode()).decode(),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


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
def is_postgres() -> bool:
    return connection.vendor == "postgresql"
