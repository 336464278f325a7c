"""Fixtures built once for a run of tests that ask for the same ones, instead of once per test.

A module whose tests all make the same account, staff, order or API token declares those
fixtures with `@shared`; a shared fixture's arguments are the other shared fixtures it needs:

    @shared
    def account():
        return AccountFactory(aid=AID, name="Demo shop")

    @shared
    def order(account):
        return make_order(account)

What a test gets is what it would get if the fixtures were made for it alone:

* The shared fixtures a test asks for (with what they need) are built in an outer transaction,
  before the test's own transaction (the `db` fixture) opens: that one is then a savepoint, rolled
  back when the test ends, so the next test starts from the data as built. The outer transaction
  is kept while the following tests ask for the same shared fixtures (the parametrized cases of
  a test, usually) and rolled back as soon as a test asks for others or none, and at the end of
  the module: a test never sees data it did not ask for.
* Each test is given its own deep copy of the built objects (as Django's `setUpTestData` does),
  so a test that changes an object it was given changes nothing the next test is given.
* tests/conftest.py calls `prepare()` before a test's database is set up (in its
  `_django_db_marker`, which pytest runs before any other fixture of a test), and the build
  starts as every test does: with the role groups restored and the cache cleared.
* A transactional test (`transactional_db`, `live_server`, `django_db(transaction=True)`)
  commits for real, so it gets its shared fixtures built for it alone, in its own database state.
"""

import copy
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

from tests.support import roles

# module name -> shared fixture name -> (build, names of the shared fixtures it needs)
_REGISTRY: dict[str, dict[str, tuple[Callable[..., Any], list[str]]]] = {}


class _Outer:
    """The data built for one set of shared fixtures, in a transaction not yet rolled back."""

    def __init__(self, module: str, names: tuple[str, ...]):
        self.module, self.names = module, names
        self.atomic = transaction.atomic(using=DEFAULT_DB_ALIAS)
        # Marked as Django marks a test's own transaction: durable blocks inside stay allowed.
        self.atomic._from_testcase = True
        self.data: dict[str, Any] = {}

    def open(self) -> None:
        self.atomic.__enter__()
        try:
            roles.restore_after_flush(False)
            cache.clear()
            self.data = _build(self.module, self.names)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        transaction.set_rollback(True, using=DEFAULT_DB_ALIAS)
        self.atomic.__exit__(None, None, None)


_outer: _Outer | None = None
# What the current test asked for: its names, and whether it gets them built for it alone.
_current: tuple[str, tuple[str, ...], bool] | None = None


def shared(build: Callable[..., Any]):
    """Declare a shared fixture of the calling module (see above); its value is `build`'s."""
    name = build.__name__
    _REGISTRY.setdefault(build.__module__, {})[name] = (build, list(inspect.signature(build).parameters))

    @pytest.fixture(name=name)
    def fixture(_built_once):
        return _built_once[name]

    fixture.__doc__ = build.__doc__
    return fixture


def _wanted(module: str, fixturenames) -> tuple[str, ...]:
    """The module's shared fixtures the test asks for and those they need, in building order."""
    declared = _REGISTRY.get(module, {})
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        for needed in declared[name][1]:
            visit(needed)
        order.append(name)

    for name in fixturenames:
        if name in declared:
            visit(name)
    return tuple(order)


def _build(module: str, names: tuple[str, ...]) -> dict[str, Any]:
    declared = _REGISTRY[module]
    built: dict[str, Any] = {}
    for name in names:
        build, needs = declared[name]
        built[name] = build(*(built[n] for n in needs))
    return built


def prepare(request, transactional: bool) -> bool:
    """Before the test's database is set up: keep, roll back or build the shared data it asks
    for. True when it was built in an outer transaction (the role groups are restored and the
    cache cleared already, before the build)."""
    global _outer, _current
    module = getattr(getattr(request.node, "module", None), "__name__", "")
    names = _wanted(module, request.fixturenames)
    _current = (module, names, transactional)
    keep = bool(names) and not transactional
    blocker = request.getfixturevalue("django_db_blocker")
    if _outer is not None and (not keep or (_outer.module, _outer.names) != (module, names)):
        release(blocker)
    if keep and _outer is None:
        request.getfixturevalue("django_db_setup")
        with blocker.unblock():
            outer = _Outer(module, names)
            outer.open()
            _outer = outer
    return keep


def shared_values() -> dict[str, Any]:
    """The current test's shared fixtures (the `_built_once` fixture): a copy of those built, or
    built for it alone."""
    assert _current is not None, "the suite's autouse fixture calls prepare() first"
    module, names, transactional = _current
    if transactional or _outer is None:
        return _build(module, names)
    return copy.deepcopy(_outer.data)


def release(django_db_blocker) -> None:
    """Roll back the shared data built, if any."""
    global _outer
    if _outer is not None:
        outer, _outer = _outer, None
        with django_db_blocker.unblock():
            outer.close()
