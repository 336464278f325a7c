"""`pk__any_of`: the orders whose id is one of a list, as one array parameter on PostgreSQL."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.support.orders import make_order


def test_it_finds_exactly_the_orders_listed(account, other_account):
    mine = [make_order(account) for _ in range(3)]
    theirs = make_order(other_account)
    wanted = [mine[0].pk, mine[2].pk, theirs.pk, None]
    with CaptureQueriesContext(connection) as queries:
        found = set(Order.objects.filter(account=account, pk__any_of=wanted))
    assert found == {mine[0], mine[2]}
    if connection.vendor == "postgresql":
        assert "= ANY(" in queries[0]["sql"]
    assert set(Order.objects.exclude(pk__any_of=[mine[1].pk]).filter(account=account)) == {mine[0], mine[2]}


def test_an_empty_list_finds_nothing_and_excludes_nothing(account):
    order = make_order(account)
    assert not Order.objects.filter(pk__any_of=[]).exists()
    assert list(Order.objects.filter(account=account).exclude(pk__any_of=[])) == [order]
    assert not Order.objects.filter(pk__any_of=[None]).exists()


def test_ids_as_text_or_as_a_set_find_the_same_orders(account):
    # The search hands its ids as a frozenset, whose array text is written once for every
    # query that is given it (orders.lookups._array_text).
    mine = [make_order(account) for _ in range(3)]
    ids = frozenset(o.pk for o in mine[:2])
    for _ in range(2):
        assert set(Order.objects.filter(pk__any_of=ids)) == set(mine[:2])
    assert set(Order.objects.filter(pk__any_of=[str(mine[2].pk)])) == {mine[2]}
    assert set(Order.objects.filter(pk__any_of=[mine[0].pk.hex])) == {mine[0]}
