"""Fixtures every folder of tests may use; the helpers behind them are in tests/support/."""

import os

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from backoffice.db_router import REPLICA, replica_configured
from tests.support import flush, once
from tests.support import roles as roles_as_migrated
from tests.support.api import ShoppingApi, token_for
from tests.support.factories import AID, OTHER_AID, AccountFactory, api_client_for, staff_for

pytest_plugins = ["tests.support.browser"]


def pytest_configure(config):
    # pytest-xdist hands out the files with the most tests first unless told not to: the order of
    # the collection (below) is the order they are handed out in.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need real row locks: skip them on SQLite.

    With a read replica configured, transactional tests may read through it (lag-tolerant
    pages do, outside a transaction), so they are given both databases.

    Spread over processes (`make test`: `-n auto --dist loadfile`), the files that take longest
    come first, so that the processes end together instead of one of them finishing a long file
    alone."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for test in items:
        if "postgres" in test.keywords and not on_postgres:
            test.add_marker(skip)
        marker = test.get_closest_marker("django_db")
        if replica_configured() and marker and marker.kwargs.get("transaction"):
            kwargs = {**marker.kwargs, "databases": ["default", REPLICA]}
            test.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
    if hasattr(config, "workerinput"):
        _longest_files_first(items)


# Seconds a file takes in CI where its markers tell too little (a state machine, worker
# processes, large data); the others' are estimated from their tests' markers.
SLOW_FILES = {
    "tests/hooks/test_worker.py": 70,
    "tests/orders/test_ledger_state_machine.py": 28,
    "tests/customer_mail/test_workers.py": 20,
    "tests/backoffice/test_token_rate_limit.py": 18,
    "tests/api/test_fuzz.py": 17,
    "tests/backoffice/test_login_lockout.py": 17,
    "tests/finance/test_totals.py": 15,
    "tests/finance/test_export.py": 15,
    "tests/orders/web/test_list_paging.py": 15,
    "tests/devtools/test_benchmark.py": 15,
}


def _estimate(test) -> float:
    """Seconds in CI, roughly: a browser scenario, a test of threads or processes on PostgreSQL,
    a transactional test (its flush), any other test."""
    if test.get_closest_marker("browser") or test.get_closest_marker("postgres"):
        return 4
    marker = test.get_closest_marker("django_db")
    if (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        getattr(test, "fixturenames", ())
    ):
        return 2
    return 0.3


def _longest_files_first(items) -> None:
    seconds: dict[str, float] = {}
    for test in items:
        path = test.nodeid.split("::")[0]
        seconds[path] = seconds.get(path, 0) + _estimate(test)
    seconds.update((path, max(seconds[path], s)) for path, s in SLOW_FILES.items() if path in seconds)
    # A stable sort: each file's tests stay together, in their order.
    items.sort(key=lambda test: (-seconds[test.nodeid.split("::")[0]], test.nodeid.split("::")[0]))


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(set(request.fixturenames) & {"transactional_db", "live_server"}) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.fixture(autouse=True)
def _django_db_marker(request):
    """pytest-django's own (it sets up the database of a test marked `django_db` before any other
    fixture), with the shared fixtures the test asks for built or rolled back first
    (tests/support/once.py): their outer transaction must open before the test's own."""
    request.node.stash[_SHARED_BUILT] = once.prepare(request, _transactional(request))
    if request.node.get_closest_marker("django_db"):
        request.getfixturevalue("_django_db_helper")


_SHARED_BUILT = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _fresh_database(request, _django_db_marker):
    """Every test starts with the role groups the migrations made (a transactional test's flush
    removes them) and with no rate limit counted (they live in the shared cache, the database);
    shared fixtures were built after the same (tests/support/once.py)."""
    names = set(request.fixturenames)
    transactional = _transactional(request)
    if transactional:
        request.getfixturevalue("transactional_db")
    elif "db" in names or request.node.get_closest_marker("django_db"):
        request.getfixturevalue("db")
    else:
        return
    if request.node.stash[_SHARED_BUILT]:
        return
    roles_as_migrated.restore_after_flush(transactional)
    cache.clear()


@pytest.fixture
def _built_once(db):
    """The values of the shared fixtures a test asks for (tests/support/once.py)."""
    return once.shared_values()


@pytest.fixture(scope="module", autouse=True)
def _built_once_rolled_back_at_module_end(django_db_blocker):
    yield
    once.release(django_db_blocker)


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The migrated test database, with its role groups remembered (tests/support/roles.py); on
    PostgreSQL, transactional tests' flushes delete rows instead of truncating tables
    (tests/support/flush.py)."""
    with django_db_blocker.unblock():
        roles_as_migrated.remember()
    if connection.vendor == "postgresql":
        flush.delete_instead_of_truncate()


@pytest.fixture
def roles(db):
    """The role groups, with their permissions, as the migrations made them (every test has
    them: this names the need)."""
    return roles_as_migrated.AS_MIGRATED


@pytest.fixture
def staff(account, roles):
    """Staff users of the account, one per role."""
    return staff_for(account)


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
