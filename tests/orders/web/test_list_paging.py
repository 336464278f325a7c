"""The order list's keyset pages and its date range, as an agent walks them: every order once,
in order, for every sort, whatever the ties, searched or not; a day is the day of the account's
time zone."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from orders import selectors
from orders.forms import SORTS
from orders.models import Order
from tests.support.orders import item, make_order


def walk(client, account, sort: str, **searched) -> list[int]:
    seen: list[int] = []
    params = {"sort": sort, **searched}
    for _ in range(20):
        page = client.get(f"/{account.aid}/orders/", params)
        assert page.status_code == 200
        seen += [o.pk for o in page.context["orders"]]
        if not page.context["next_cursor"]:
            return seen
        params = {"sort": sort, **searched, "cursor": page.context["next_cursor"]}
    raise AssertionError("the pages never end")


def in_order(pks, sort: str) -> bool:
    field = SORTS[sort].lstrip("-")
    values = [getattr(Order.objects.get(pk=pk), field) for pk in pks]
    return values == sorted(values, reverse=SORTS[sort].startswith("-"))


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_pages_through_every_order_once_with_ties(account, login, sort):
    # 3 totals and one creation time for many: most orders tie with their neighbours
    same_time = timezone.now() - timedelta(hours=1)
    orders = [make_order(account, [item(gross=1000 * (i % 3 + 1))]) for i in range(60)]
    Order.objects.filter(pk__in=[o.pk for o in orders[::2]]).update(created_at=same_time)
    seen = walk(login(), account, sort)
    assert sorted(seen) == sorted(o.pk for o in orders)
    assert len(seen) == len(set(seen)) == 60
    assert in_order(seen, sort)


@pytest.mark.parametrize("sort", list(SORTS))
def test_a_search_whose_ids_drive_the_list_pages_through_each_match_once_in_order(
    account, login, monkeypatch, sort
):
    # Every word looked up in the index: its orders' ids drive the list, which reads them all,
    # sorts them without a LIMIT and then reads the page's rows by key (order_list._read).
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 10**6)
    same_time = timezone.now() - timedelta(hours=1)
    strands = [
        make_order(account, [item(gross=1000 * (i % 3 + 1))], customer={"last_name": "Strand"})
        for i in range(60)
    ]
    Order.objects.filter(pk__in=[o.pk for o in strands[::2]]).update(created_at=same_time)
    for _ in range(5):
        make_order(account, customer={"last_name": "Berg"})
    client = login()

    first = client.get(f"/{account.aid}/orders/", {"sort": sort, "q": "trand"})
    assert first.context["total"] == 60 and not first.context["at_least_total"]
    assert "60 orders matching" in first.content.decode()
    seen = walk(client, account, sort, q="trand")
    assert sorted(seen) == sorted(o.pk for o in strands)
    assert len(seen) == len(set(seen)) == 60
    assert in_order(seen, sort)


@pytest.mark.parametrize("zone", ["Europe/Oslo", "UTC"])
def test_a_days_range_is_the_day_in_the_current_time_zone(account, login, settings, zone):
    settings.TIME_ZONE = zone
    tz = ZoneInfo(zone)
    late = make_order(account)
    early_next_day = make_order(account)
    Order.objects.filter(pk=late.pk).update(created_at=datetime(2026, 3, 10, 23, 59, 59, tzinfo=tz))
    Order.objects.filter(pk=early_next_day.pk).update(created_at=datetime(2026, 3, 11, 0, 0, 0, tzinfo=tz))
    client = login()

    def found(**dates) -> set[str]:
        return {o.order_id for o in client.get(f"/{account.aid}/orders/", dates).context["orders"]}

    assert found(created_from="2026-03-10", created_to="2026-03-10") == {late.order_id}
    assert found(created_from="2026-03-11", created_to="2026-03-11") == {early_next_day.order_id}
    assert found(created_to="2026-03-10") == {late.order_id}
    assert found(created_from="2026-03-11") >= {early_next_day.order_id}
    assert late.order_id not in found(created_from="2026-03-11")
