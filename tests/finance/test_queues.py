"""The work queues of the home page: each role sees the queues it acts on, each with a count and a
link to a list of exactly those orders; another account's orders never show; the page's queries
do not grow with the orders."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.actor import Actor
from finance import queues as finance_queues
from finance.queues import WorkQueue, work_queues
from finance.reports import stale_authorizations
from orders.models import Order, PaymentOperation
from orders.queues import Queue, queue_orders
from orders.selectors import order_get
from orders.services.replacement import (
    Replacement,
    Reversal,
    replacement_create,
    replacement_settle,
    replacement_settlement,
)
from payments.models import CallKind, CallState, Mismatch, MismatchKind, ProviderCall, ReconciliationRun
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.factories import UserFactory
from tests.support.orders import item, make_order, record

ACTOR = Actor(system="tests")
CS_QUEUES = {"to_capture", "replacements_to_settle", "stale_authorizations"}
FINANCE_QUEUES = {"replacements_for_finance", "unknown_calls", "mismatches"}
# The queue of a settlement step not yet recorded, by the permission that records it.
FOR_STEP_PERMISSION = {
    "orders.record_operation": Queue.REPLACEMENTS_TO_SETTLE,
    "orders.record_refund": Queue.REPLACEMENTS_FOR_FINANCE,
}


def fresh(order: Order) -> Order:
    return order_get(account=order.account, order_id=order.order_id)


def aged(order: Order, days: int) -> Order:
    """The order and its operations as if made `days` ago (an order is made before its payments)."""
    then = timezone.now() - dt.timedelta(days=days)
    Order.objects.filter(pk=order.pk).update(created_at=then)
    PaymentOperation.objects.filter(order=order).update(created_at=then)
    return order


def captured(account, gross: int = 39800) -> Order:
    return make_order(account, [item(1, gross, quantity=2)], captured=True)


def replace(order: Order, new_gross: int):
    return replacement_create(
        order=fresh(order),
        reversals=[Reversal(line_id=1, quantity=2)],
        replacements=[Replacement("003929", "Stablestol Lux", 2, new_gross, Decimal(25))],
        reason="Replace item",
        actor=ACTOR,
    )


def settle(order: Order, draft, step: str, **kwargs) -> None:
    replacement_settle(order=fresh(order), draft=draft, step_key=step, actor=ACTOR, **kwargs)


def unknown_call(order: Order, payment_id: str = "T_UNKNOWN") -> ProviderCall:
    return ProviderCall.objects.create(
        order=order,
        provider="sandbox",
        kind=CallKind.CAPTURE,
        state=CallState.UNKNOWN,
        payment_id=payment_id,
        amount=1000,
        error="timed out",
        created_by="tests",
    )


def mismatch(order: Order, payment_id: str = "T_DIFF") -> Mismatch:
    run = ReconciliationRun.objects.create()
    return Mismatch.objects.create(
        order=order,
        provider="sandbox",
        payment_id=payment_id,
        kind=MismatchKind.CAPTURED,
        recorded=3000,
        at_provider=5000,
        first_run=run,
        last_run=run,
    )


def a_bit_of_everything(account, tag: str = "") -> dict[str, Order]:
    """One order in each queue (or two), and orders in none, on `account`."""
    recent = make_order(account, authorized=True)  # to capture, authorized today
    old = aged(make_order(account, authorized=True), days=10)  # to capture, getting old
    make_order(account, captured=True)  # paid in full: no queue
    make_order(account)  # nothing paid: no queue
    cancelled = make_order(account, authorized=True)
    record(cancelled, "cancellation", [(1, 39800)])  # neither
    swap_pending = captured(account)
    replace(swap_pending, 29800)  # cheaper: customer service swaps first
    refund_pending = captured(account)
    settle(refund_pending, replace(refund_pending, 29800), "swap")  # then finance refunds
    extra_pending = captured(account)
    settle(extra_pending, replace(extra_pending, 49800), "swap")  # dearer: the extra is to authorize
    settled = captured(account)
    draft = replace(settled, 29800)
    settle(settled, draft, "swap")
    settle(settled, draft, "refund")
    called = make_order(account, captured=True)
    unknown_call(called, f"T_UNKNOWN{tag}")
    differs = make_order(account, captured=True)
    mismatch(differs, f"T_DIFF{tag}")
    return {
        "recent": recent,
        "old": old,
        "swap_pending": swap_pending,
        "refund_pending": refund_pending,
        "extra_pending": extra_pending,
        "called": called,
        "differs": differs,
    }


EXPECTED = {
    "to_capture": {"recent", "old"},
    "stale_authorizations": {"old"},
    "replacements_to_settle": {"swap_pending", "extra_pending"},
    "replacements_for_finance": {"refund_pending"},
}


@pytest.fixture
def everything(account, other_account):
    mine = a_bit_of_everything(account)
    a_bit_of_everything(other_account, tag="_OTHER")
    return mine


def listed_order_ids(html: str, aid: str) -> set[str]:
    section = html.split('id="results"', 1)[1]
    return set(re.findall(rf'href="/{aid}/orders/([^/"]+)/"', section))


def tiles(html: str) -> dict[str, tuple[str, str]]:
    """{queue key: (count shown, link)} of the work page."""
    found = re.findall(
        r'data-queue="([a-z_]+)">\s*<a class="queue__link" href="([^"]+)">\s*'
        r'<span class="queue__count" data-count="\d+">([^<]+)</span>',
        html,
    )
    return {key: (shown, url.replace("&amp;", "&")) for key, url, shown in found}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("Customer service", CS_QUEUES),
        ("Finance", FINANCE_QUEUES),
        ("Administrator", CS_QUEUES | FINANCE_QUEUES),
    ],
)
def test_each_role_sees_the_queues_it_acts_on_and_each_link_lists_exactly_its_orders(
    account, everything, login, role, expected
):
    client = login(role)
    page = client.get(f"/{account.aid}/work/")
    assert page.status_code == 200
    shown = tiles(page.content.decode())
    assert set(shown) == expected
    # the age of old authorizations is asked only of those who see them
    assert ('name="days"' in page.content.decode()) == ("stale_authorizations" in expected)
    for key, (count, url) in shown.items():
        if key in EXPECTED:
            want = {everything[name].order_id for name in EXPECTED[key]}
            assert count == str(len(want)), key
            listing = client.get(url)
            assert listing.status_code == 200
            html = listing.content.decode()
            assert listed_order_ids(html, account.aid) == want, key
            assert f"{len(want)} order{'' if len(want) == 1 else 's'}</p>" in html
            assert 'data-testid="queue-filter"' in html
        else:
            # the payments side: one unknown call, one open finding, on the books check
            assert count == "1", key
            books = client.get(url.split("#")[0]).content.decode()
            order = everything["called" if key == "unknown_calls" else "differs"]
            assert f'href="/{account.aid}/orders/{order.order_id}/"' in books
            assert "_OTHER" not in books


def test_the_queues_agree_with_the_selectors_and_never_hold_another_accounts_orders(
    account, other_account, everything
):
    mine = Order.objects.filter(account=account)
    for key, names in EXPECTED.items():
        assert set(queue_orders(mine, key, days=7)) == {everything[n] for n in names}, key
        theirs = set(queue_orders(Order.objects.filter(account=other_account), key, days=7))
        assert len(theirs) == len(names) and not theirs & set(mine), key


def test_old_authorizations_are_the_books_checks_and_follow_days(account, everything, login):
    mine = Order.objects.filter(account=account)
    for days in (0, 7, 30):
        assert set(queue_orders(mine, Queue.STALE_AUTHORIZATIONS, days=days)) == set(
            stale_authorizations(accounts=[account], days=days)
        ), days
    assert set(queue_orders(mine, Queue.STALE_AUTHORIZATIONS, days=0)) == {
        everything["recent"],
        everything["old"],
    }
    page = login("Customer service").get(f"/{account.aid}/work/?days=30").content.decode()
    assert tiles(page)["stale_authorizations"] == (
        "0",
        f"/{account.aid}/orders/?queue=stale_authorizations&days=30",
    )
    assert "Authorizations older than 30 days" in page


def test_the_default_age_comes_from_the_setting(account, everything, login, settings):
    settings.STALE_AUTHORIZATION_DAYS = 0
    page = login("Customer service").get(f"/{account.aid}/work/").content.decode()
    assert tiles(page)["stale_authorizations"][0] == "2"
    # a bad `days` falls back to it; a negative one is 0
    assert tiles(login("Customer service").get(f"/{account.aid}/work/?days=x").content.decode())
    settings.STALE_AUTHORIZATION_DAYS = 7
    assert (
        "days=0"
        in tiles(login("Customer service").get(f"/{account.aid}/work/?days=-3").content.decode())[
            "stale_authorizations"
        ][1]
    )


@pytest.mark.parametrize(("new_gross", "steps"), [(29800, ["swap", "refund"]), (49800, ["swap", "extra"])])
def test_replacement_queues_follow_the_settlement_steps(account, new_gross, steps):
    """Each step not done is in the queue of the role that records it, and in no other."""
    order = captured(account)
    draft = replace(order, new_gross)
    mine = Order.objects.filter(account=account)

    def in_queues() -> set[str]:
        return {
            key
            for key in (Queue.REPLACEMENTS_TO_SETTLE, Queue.REPLACEMENTS_FOR_FINANCE)
            if queue_orders(mine, key).filter(pk=order.pk).exists()
        }

    def waiting_for() -> set[str]:
        settlement = replacement_settlement(order=fresh(order), draft=draft)
        return {FOR_STEP_PERMISSION[s.permission] for s in settlement.steps if s.ready and not s.done}

    assert in_queues() == waiting_for() == {Queue.REPLACEMENTS_TO_SETTLE}
    for step in steps:
        settle(order, draft, step, **({"payment_id": "PID_321"} if step == "extra" else {}))
        assert in_queues() == waiting_for()
    assert in_queues() == set() and replacement_settlement(order=fresh(order), draft=draft).complete


def test_a_replacement_of_unpaid_lines_has_no_settlement_queue(account):
    order = make_order(account, [item(1, 39800, quantity=2)])
    replace(order, 29800)
    mine = Order.objects.filter(account=account)
    assert not queue_orders(mine, Queue.REPLACEMENTS_TO_SETTLE).exists()
    assert not queue_orders(mine, Queue.REPLACEMENTS_FOR_FINANCE).exists()


def test_counts_are_capped(account, staff, monkeypatch):
    for _ in range(3):
        make_order(account, authorized=True)
    assert finance_queues.QUEUE_COUNT_LIMIT == 100
    monkeypatch.setattr(finance_queues, "QUEUE_COUNT_LIMIT", 2)
    (queue,) = [
        q for q in work_queues(account=account, user=staff["Customer service"]) if q.key == "to_capture"
    ]
    assert (queue.count, queue.more, queue.shown) == (3, True, "2+")
    big = WorkQueue("to_capture", "To capture", "", "", 1001, 1000, "")
    assert big.shown == "1\xa0000+" and big.units == "orders"
    assert WorkQueue("x", "", "", "", 1, 1000, "", unit="call").units == "call"


def test_queries_do_not_grow_with_the_orders(account, other_account, login, django_assert_max_num_queries):
    client = login("Administrator")
    a_bit_of_everything(account)
    with CaptureQueriesContext(connection) as first:
        assert client.get(f"/{account.aid}/work/").status_code == 200
    for n in range(3):
        a_bit_of_everything(account, tag=f"_{n}")
    with django_assert_max_num_queries(len(first)):
        page = client.get(f"/{account.aid}/work/").content.decode()
    shown = tiles(page)
    assert shown["to_capture"][0] == "8" and shown["unknown_calls"][0] == "4"


def test_home_lands_on_the_work_queues_of_the_remembered_account(account, other_account, staff, roles):
    user = UserFactory(username="both", role="Customer service", accounts=[account, other_account])
    client = Client()
    client.force_login(user)
    assert (
        client.get("/").url == f"/{account.aid}/work/" or client.get("/").url == f"/{other_account.aid}/work/"
    )
    client.get(f"/{other_account.aid}/orders/")
    assert client.get("/").url == f"/{other_account.aid}/work/"
    page = client.get(f"/{other_account.aid}/work/").content.decode()
    # the order list is one click away
    assert f'href="/{other_account.aid}/orders/"' in page


def test_work_page_access(account, other_account, staff, roles, client):
    assert client.get(f"/{account.aid}/work/").status_code == 302  # sign in first
    nobody = UserFactory(username="nobody", accounts=[])
    nobody.save()  # the factory saves its password only with a role
    client.force_login(nobody)
    assert client.get("/").status_code == 403  # no account: the page that says so
    client.force_login(staff["Customer service"])
    assert client.get(f"/{other_account.aid}/work/").status_code == 404
    assert client.post(f"/{account.aid}/work/").status_code == 405


def test_a_user_of_no_role_sees_no_queue(account, roles, client):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer", accounts=[account])
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(viewer)
    page = client.get(f"/{account.aid}/work/").content.decode()
    assert tiles(page) == {} and "No work queue is kept for your role" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_customer_service_opens_home_and_follows_to_capture(page, account, other_account, staff):
    mine = a_bit_of_everything(account)
    a_bit_of_everything(other_account, tag="_OTHER")
    sign_in(page, staff["Customer service"])

    go(page, "/")
    page.get_by_role("heading", name="Work queues").wait_for()
    assert page.url.endswith(f"/{account.aid}/work/")
    tiles_shown = page.locator("[data-queue]")
    assert sorted(tiles_shown.evaluate_all("els => els.map(e => e.dataset.queue)")) == sorted(CS_QUEUES)
    page.screenshot(path=str(SCREENSHOTS / "work_queues_customer_service.png"), full_page=True)

    page.get_by_role("link", name="To capture").click()
    page.wait_for_url("**queue=to_capture**")
    page.get_by_test_id("queue-filter").get_by_text("To capture").wait_for()
    listed = page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert sorted(listed) == sorted(mine[name].order_id for name in EXPECTED["to_capture"])
    # the queue is kept while searching within it
    page.get_by_label("Search", exact=True).fill(mine["old"].order_id)
    page.wait_for_url("**q=**")
    page.get_by_text("1 order").first.wait_for()
    assert "queue=to_capture" in page.url
    assert page.locator("#results tbody tr td:first-child a").all_inner_texts() == [mine["old"].order_id]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_finance_opens_home_and_follows_its_queues(page, account, other_account, staff):
    mine = a_bit_of_everything(account)
    a_bit_of_everything(other_account, tag="_OTHER")
    sign_in(page, staff["Finance"])

    go(page, "/")
    page.get_by_role("heading", name="Work queues").wait_for()
    shown = page.locator("[data-queue]").evaluate_all("els => els.map(e => e.dataset.queue)")
    assert sorted(shown) == sorted(FINANCE_QUEUES)
    page.screenshot(path=str(SCREENSHOTS / "work_queues_finance.png"), full_page=True)

    page.get_by_role("link", name="Replacements waiting for finance").click()
    page.wait_for_url("**queue=replacements_for_finance**")
    listed = page.locator("#results tbody tr td:first-child a").all_inner_texts()
    assert listed == [mine["refund_pending"].order_id]
    page.screenshot(path=str(SCREENSHOTS / "work_queue_replacements_for_finance.png"), full_page=True)

    page.get_by_role("link", name="All work queues").click()
    page.get_by_role("link", name="Provider calls unknown").click()
    page.wait_for_url("**/finance/books/#unknown-heading")
    page.get_by_role("heading", name="Provider calls with an unknown outcome (1)").wait_for()
    assert page.locator("#unknown-calls tbody tr").all_inner_texts()[0].startswith(mine["called"].order_id)


def test_a_closed_orders_old_authorization_is_still_held_but_not_to_capture(account):
    """A closed order takes no capture; what it has authorized holds the customer's money until
    it is cancelled, so the old authorizations list it (and the books check with it)."""
    from orders.services.status import order_close

    order = make_order(account)
    record(order, "authorization", [(1, 39800)])
    aged(order, days=30)
    order_close(order=order, actor=Actor(system="tests"))
    mine = Order.objects.filter(account=account)
    assert order not in set(queue_orders(mine, Queue.TO_CAPTURE))
    assert order in set(queue_orders(mine, Queue.STALE_AUTHORIZATIONS, days=7))
    assert order in set(stale_authorizations(accounts=[account], days=7))
