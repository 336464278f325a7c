"""Who may open what: every staff page and API endpoint, for anonymous visitors, each role,
staff of another account, each API scope and another account's token."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from payments.services import calls
from tests.factories import SEED_DRAFT, AccountFactory, UserFactory, item, make_order, record

CS, FIN, ADMIN = "Customer service", "Finance", "Administrator"
ALL = {CS: 200, FIN: 200, ADMIN: 200}
OPERATE = {CS: 200, FIN: 403, ADMIN: 200}
REFUND = {CS: 403, FIN: 200, ADMIN: 200}
FINANCE = {CS: 403, FIN: 200, ADMIN: 200}

# (name, path with {aid}/{oid}/{pk}, who may open it)
PAGES = [
    ("order list", "/{aid}/orders/", ALL),
    ("order page", "/{aid}/orders/{oid}/", ALL),
    ("authorize form", "/{aid}/orders/{oid}/authorize/", OPERATE),
    ("capture form", "/{aid}/orders/{oid}/capture/", OPERATE),
    ("cancellation form", "/{aid}/orders/{oid}/cancellation/", OPERATE),
    ("refund form", "/{aid}/orders/{oid}/refund/", REFUND),
    ("cancel order", "/{aid}/orders/{oid}/cancel/", OPERATE),
    ("replace item", "/{aid}/orders/{oid}/replace/", OPERATE),
    ("drafts", "/{aid}/drafts/", OPERATE),
    ("new draft", "/{aid}/drafts/new/", OPERATE),
    ("finance", "/{aid}/finance/", FINANCE),
    ("finance drill-down", "/{aid}/finance/operations/", FINANCE),
    ("finance CSV", "/{aid}/finance/export.csv", FINANCE),
    ("books check", "/{aid}/finance/books/", FINANCE),
    ("provider actions", "/payments/orders/{pk}/", ALL),
    ("provider panel", "/payments/orders/{pk}/panel", ALL),
]


@pytest.fixture
def order(account):
    order = make_order(account, [item(1), item(2, gross=10000)])
    record(order, "authorization", [(1, 39800), (2, 10000)])
    record(order, "capture", [(1, 39800)])
    return order


def url(path: str, order) -> str:
    return path.format(aid=order.account.aid, oid=order.order_id, pk=order.pk)


@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_staff_pages_by_role(client, staff, order, name, path, allowed):
    assert client.get(url(path, order)).status_code == 302  # anonymous: to the sign-in page
    for role, status in allowed.items():
        client.force_login(staff[role])
        assert client.get(url(path, order)).status_code == status, role


@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_staff_of_another_account_find_nothing(client, order, name, path, allowed):
    outsider = UserFactory(username="outsider", role=ADMIN, accounts=[AccountFactory(aid="T55555555")])
    client.force_login(outsider)
    assert client.get(url(path, order)).status_code == 404


def test_admin_site_only_for_administrators(client, staff):
    index = reverse("admin:index")
    assert client.get(index).status_code == 302
    for role, status in {CS: 302, FIN: 302, ADMIN: 200}.items():
        client.force_login(staff[role])
        assert client.get(index).status_code == status, role


# API: (method, path, body); writes answer 2xx or, for a valid request the ledger refuses, 409.
CAPTURE = {"items": [{"line_id": 2, "amount": 100}], "payment_details": {"payment_id": "PID_123"}}
ENDPOINTS = [
    ("get", "shopping/draft_orders", None),
    ("post", "shopping/draft_orders", SEED_DRAFT),
    ("get", "shopping/orders", None),
    ("get", "shopping/orders/{oid}", None),
    ("get", "shopping/orders/{oid}/events", None),
    ("get", "shopping/orders/{oid}/captures", None),
    ("post", "shopping/orders/{oid}/captures", CAPTURE),
    ("post", "shopping/orders/{oid}/authorizations", CAPTURE),
    ("post", "shopping/orders/{oid}/cancel", {}),
    ("post", "payments/orders/{oid}/capture", {"items": [{"line_id": 2, "amount": 100}]}),
]


@pytest.fixture
def provider_calls_in_test_transaction(monkeypatch):
    """Provider calls refuse to run inside a transaction; the test wraps everything in one."""
    monkeypatch.setattr(calls, "_allow_atomic", True)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
@pytest.mark.usefixtures("provider_calls_in_test_transaction")
def test_api_by_scope(make_api, account, other_account, order, method, path, body):
    full = f"/v1/accounts/{account.aid}/{path.format(oid=order.order_id)}"
    read, write = make_api(account, "read:shopping"), make_api(account, "write:shopping")
    admin, foreign = make_api(account, "admin:shopping"), make_api(other_account, "admin:shopping")

    def status(api, target=full):
        return getattr(api, method)(target, body, format="json").status_code

    assert status(APIClient()) == 401
    assert status(foreign) == 401  # another account's token on this account's path
    if method == "get":
        assert status(read) == 200
        assert status(write) == 200
    else:
        assert status(read) == 403
        assert status(write) in (200, 201, 202, 409, 502)
    assert status(admin) in (200, 201, 202, 409, 502)
    # this account's token cannot reach another account's order, even by its id
    if "{oid}" in path:
        theirs = make_order(other_account)
        assert status(admin, f"/v1/accounts/{account.aid}/{path.format(oid=theirs.order_id)}") == 404
