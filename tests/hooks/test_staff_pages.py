"""The webhooks pages: the Administrator role sees its account's subscriptions and deliveries
and can redeliver one; other roles are refused, other accounts' staff find nothing."""

import datetime as dt

import pytest

from hooks.models import Delivery, DeliveryState
from tests.support.factories import AccountFactory, UserFactory

from .conftest import dintero_body

pytestmark = pytest.mark.django_db
URL = "https://erp.example.com/hooks"


@pytest.fixture
def subscription_id(account, hooks_api) -> str:
    return hooks_api(account).call("post", "", dintero_body(URL)).json()["id"]


def test_administrators_see_subscriptions_and_deliveries(login, account, subscription_id):
    client = login("Administrator")

    listing = client.get(f"/{account.aid}/hooks/")
    page = client.get(f"/{account.aid}/hooks/{subscription_id}/")

    assert listing.status_code == 200 and URL in listing.content.decode()
    assert page.status_code == 200
    ping = Delivery.objects.get(subscription_id=subscription_id)
    assert str(ping.event_delivery) in page.content.decode()


@pytest.mark.parametrize("role", ["Customer service", "Finance"])
def test_other_roles_are_refused(login, account, subscription_id, role):
    client = login(role)
    assert client.get(f"/{account.aid}/hooks/").status_code == 403
    assert client.get(f"/{account.aid}/hooks/{subscription_id}/").status_code == 403
    ping = Delivery.objects.get(subscription_id=subscription_id)
    assert client.post(f"/{account.aid}/hooks/deliveries/{ping.pk}/redeliver/").status_code == 403


def test_redeliver_sends_a_finished_delivery_again(login, account, subscription_id):
    client = login("Administrator")
    ping = Delivery.objects.get(subscription_id=subscription_id)
    url = f"/{account.aid}/hooks/deliveries/{ping.pk}/redeliver/"

    still_pending = client.post(url, follow=True)
    assert "still being sent" in still_pending.content.decode()

    Delivery.objects.filter(pk=ping.pk).update(state=DeliveryState.FAILED, attempts=5)
    response = client.post(url)

    assert response.status_code == 302
    ping.refresh_from_db()
    assert ping.state == DeliveryState.PENDING and ping.attempts == 0
    assert client.get(url).status_code == 405


def test_staff_of_another_account_find_nothing(client, account, subscription_id, roles):
    other = AccountFactory(aid="T55555555")
    outsider = UserFactory(username="outsider", role="Administrator", accounts=[other])
    client.force_login(outsider)
    ping = Delivery.objects.get(subscription_id=subscription_id)

    assert client.get(f"/{account.aid}/hooks/").status_code == 404
    assert client.get(f"/{other.aid}/hooks/{subscription_id}/").status_code == 404
    assert client.post(f"/{other.aid}/hooks/deliveries/{ping.pk}/redeliver/").status_code == 404
    assert URL not in client.get(f"/{other.aid}/hooks/").content.decode()


def _owed(subscription_id: str, count: int, statuses=(500, 200)) -> list[Delivery]:
    """`count` deliveries owed to the subscription, each tried once per status, the last now."""
    from django.utils import timezone

    from hooks.models import Attempt

    deliveries = Delivery.objects.bulk_create(
        Delivery(subscription_id=subscription_id, event="shopping_order_update", body="{}")
        for _ in range(count)
    )
    start = timezone.now() - dt.timedelta(hours=1)
    Attempt.objects.bulk_create(
        Attempt(
            delivery=delivery,
            subscription_id=subscription_id,
            number=n,
            url=URL,
            status_code=status,
            started_at=start + dt.timedelta(seconds=i * 10 + n),
        )
        for i, delivery in enumerate(deliveries)
        for n, status in enumerate(statuses, start=1)
    )
    return deliveries


def test_the_pages_figures_are_read_along_the_subscription_s_indexes(
    login, account, subscription_id, monkeypatch, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from hooks import selectors
    from hooks.models import Attempt

    client = login("Administrator")
    client.get(f"/{account.aid}/hooks/")
    with CaptureQueriesContext(connection) as few:  # with the ping owed only
        client.get(f"/{account.aid}/hooks/")
    _owed(subscription_id, 6)
    monkeypatch.setattr(selectors, "DELIVERIES_COUNTED", 4)

    with django_assert_max_num_queries(len(few.captured_queries)):
        listing = client.get(f"/{account.aid}/hooks/").content.decode()
    page = client.get(f"/{account.aid}/hooks/{subscription_id}/").content.decode()

    # Seven deliveries (the ping and six), counted no further than one past the cap.
    assert "more than 4" in listing and ">7<" not in listing
    last = Attempt.objects.filter(subscription_id=subscription_id).order_by("-started_at").first()
    assert last.status_code == 200 and f"{timezone.localtime(last.started_at):%H:%M:%S}" in listing
    # Each delivery's last status is its last attempt's (200 after a 500), not the highest.
    monkeypatch.setattr(selectors, "DELIVERIES_COUNTED", 10)
    figures = selectors.subscriptions_with_figures(account=account).get()
    assert (figures.owed, figures.last_sent) == (7, last.started_at)
    rows = list(selectors.deliveries_with_last_attempt(subscription=figures)[:6])
    assert [row.last_status for row in rows] == [200] * 6
    assert '<td class="num">200</td>' in page and '<td class="num">500</td>' not in page
