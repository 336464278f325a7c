"""The drill-down pages by key, not by offset: Next and Previous walk every row once, in order,
whatever the depth, with the same queries on every page; a forged key is the first page."""

import re

import pytest
from django.utils import timezone

from finance import views
from orders.models import OperationItem
from tests.support.orders import item, make_order


@pytest.fixture
def finance_client(client, staff):
    client.force_login(staff["Finance"])
    return client


@pytest.fixture
def items(account, monkeypatch):
    """Eleven rows: orders of one to three lines, each captured in one operation, so that rows
    share an operation (and its time) and are told apart by the line."""
    monkeypatch.setattr(views, "ROWS_PER_PAGE", 3)
    for lines in (3, 1, 2, 3, 2):
        make_order(account, [item(n, 1000 * n) for n in range(1, lines + 1)], captured=True)
    return OperationItem.objects.filter(operation__kind="capture").count()


def drill_down(account) -> str:
    today = timezone.localdate()
    return f"/{account.aid}/finance/operations/?period=custom&first={today}&last={today}&kind=capture"


def shown(html: str) -> list[tuple[str, str]]:
    row = r'class="mono" href="[^"]*">([^<]+)</a></td>\s*<td class="num">(\d+)</td>'
    return [(m.group(1), m.group(2)) for m in re.finditer(row, html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="\?([^"]+)" rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_next_and_previous_walk_every_row_once_in_order(finance_client, account, items):
    url = drill_down(account)
    html = finance_client.get(url).content.decode()
    pages, labels = [shown(html)], [re.search(r"Page \d+ of \d+", html).group()]
    assert link(html, "prev") is None
    while query := link(html, "next"):
        html = finance_client.get(f"{url.split('?')[0]}?{query}").content.decode()
        pages.append(shown(html))
        labels.append(re.search(r"Page \d+ of \d+", html).group())
    rows = [row for page in pages for row in page]
    assert len(rows) == items == len(set(rows))
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert labels == ["Page 1 of 4", "Page 2 of 4", "Page 3 of 4", "Page 4 of 4"]
    # Oldest first, an operation's lines in order.
    expected = [
        (i.operation.order.order_id, str(i.line.line_id))
        for i in OperationItem.objects.filter(operation__kind="capture").order_by(
            "operation__created_at", "operation_id", "line__line_id"
        )
    ]
    assert rows == expected
    # And back again with Previous, page by page.
    back = []
    while query := link(html, "prev"):
        html = finance_client.get(f"{url.split('?')[0]}?{query}").content.decode()
        back.append(shown(html))
    assert back == pages[-2::-1]
    assert re.search(r"Page \d+ of \d+", html).group() == "Page 1 of 4"


def test_a_forged_key_reads_as_the_first_page(finance_client, account, items):
    url = drill_down(account)
    first = shown(finance_client.get(url).content.decode())
    forged_queries = (
        "after=nonsense",
        "before=WyJ4Il0:1:abc",
        "after=&page=99",
        "page=1e309",
        f"after={'x' * 5000}&page=-3",
    )
    for forged in forged_queries:
        response = finance_client.get(f"{url}&{forged}")
        assert response.status_code == 200
        assert shown(response.content.decode()) == first
    # A NUL in a query is refused before anything is read, as everywhere.
    assert finance_client.get(f"{url}&after=%00").status_code == 400


def test_a_deep_page_runs_the_queries_of_the_second(
    finance_client, account, items, django_assert_max_num_queries
):
    path, _, query = drill_down(account).partition("?")
    html = finance_client.get(f"{path}?{query}").content.decode()
    counts = []
    for _ in range(3):
        with django_assert_max_num_queries(20) as counted:
            html = finance_client.get(f"{path}?{link(html, 'next')}").content.decode()
        counts.append(len(counted))
    assert "Page 4 of 4" in html
    assert counts[0] == counts[1] == counts[2] > 0
