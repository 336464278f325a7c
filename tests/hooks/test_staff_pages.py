"""The webhooks pages: the Administrator role sees its account's subscriptions and deliveries
and can redeliver one; other roles are refused, other accounts' staff find nothing."""

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
