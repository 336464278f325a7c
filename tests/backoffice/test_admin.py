"""The admin site: only administrators (and superusers) may sign in to it, whatever Django's
staff flag says; API clients' secrets are shown once; staff, roles and accounts are managed there."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from backoffice.models import AccessToken, ApiClient, secret_hash
from orders.models import Order
from tests.support.admin_forms import change_form
from tests.support.factories import PASSWORD, UserFactory, api_client_for
from tests.support.orders import make_order


@pytest.fixture
def admin_user(staff):
    return staff["Administrator"]


@pytest.fixture
def order(account):
    return make_order(account, authorized=True)


@pytest.mark.parametrize("role", ["Customer service", "Finance"])
def test_staff_of_other_roles_cannot_open_the_admin(client, staff, role):
    user = staff[role]
    user.is_staff = True  # even with Django's flag set, the role decides
    user.save()
    client.force_login(user)
    for url in ("/admin/", "/admin/orders/order/", "/admin/auth/user/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"], url


def test_staff_of_other_roles_cannot_log_in_to_the_admin(client, staff):
    response = client.post("/admin/login/", {"username": "finance", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_administrator_logs_in_without_the_staff_flag(client, admin_user, order):
    assert not admin_user.is_staff
    response = client.post("/admin/login/?next=/admin/", {"username": "administrator", "password": PASSWORD})
    assert response.status_code == 302
    for url in (
        "/admin/",
        "/admin/orders/order/",
        "/admin/orders/paymentoperation/",
        "/admin/orders/event/",
        "/admin/orders/orderline/",
        "/admin/orders/taxline/",
        "/admin/orders/operationitem/",
        "/admin/orders/draftorder/",
        "/admin/backoffice/account/",
        "/admin/backoffice/apiclient/",
        "/admin/backoffice/accesstoken/",
        "/admin/backoffice/idempotencyrecord/",
        "/admin/auth/user/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/admin/orders/order/?q={order.order_id}").status_code == 200
    assert client.get("/admin/orders/paymentoperation/?q=PID_123").status_code == 200


def test_the_ledger_rows_lists_show_the_newest_orders_first(client, admin_user, account):
    """Lines, tax lines and operation items are ordered by their order's column in the models (no
    join to sort an order's lines); the admin's lists say their own order."""
    older = make_order(account, authorized=True)
    newer = make_order(account, authorized=True)
    Order.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(admin_user)
    for url, first, second in (
        ("/admin/orders/orderline/", newer.order_id, older.order_id),
        ("/admin/orders/taxline/", newer.order_id, older.order_id),  # "line 1 of order <its id>"
        ("/admin/orders/operationitem/", older.order_id, newer.order_id),  # as their operations
    ):
        page = client.get(url).content.decode()
        assert first in page and second in page, url
        assert page.index(first) < page.index(second), url


def test_api_client_secret_is_shown_once_and_stored_hashed(client, admin_user, account):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:backoffice_apiclient_add"),
        {"account": account.pk, "name": "erp", "scopes": ["read:shopping"]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)
    api_client = ApiClient.objects.get(name="erp")
    assert api_client.secret_hash == secret_hash(secret) and secret not in api_client.secret_hash
    assert api_client.scopes == ["read:shopping"]
    assert "no-store" in response["Cache-Control"]
    assert (
        secret
        not in client.get(reverse("admin:backoffice_apiclient_change", args=[api_client.pk])).content.decode()
    )


def test_revoke_actions(client, admin_user, account, make_api):
    make_api(account, "read:shopping")
    api_client = ApiClient.objects.get()
    client.force_login(admin_user)
    token = AccessToken.objects.get()
    client.post(
        reverse("admin:backoffice_accesstoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.post(
        reverse("admin:backoffice_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None


def test_staff_roles_and_accounts_are_managed_in_the_admin(client, admin_user, account, other_account):
    # a user in no account is a superuser's to manage; the administrator sees their own staff
    user = UserFactory(username="newcomer", accounts=[account])
    other_account.members.add(admin_user)
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = change_form(client, url)
    data["groups"] = [str(Group.objects.get(name="Finance").pk)]
    data["Account_members-TOTAL_FORMS"] = "2"
    data["Account_members-1-account"] = str(other_account.pk)
    data["is_superuser"] = "on"  # read-only for a non-superuser administrator

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    user.refresh_from_db()
    assert [g.name for g in user.groups.all()] == ["Finance"]
    assert list(user.accounts.all()) == [account, other_account]
    assert not user.is_superuser


def test_superuser_may_open_the_admin(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(root)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/orders/order/").status_code == 200


def test_api_client_for_helper_still_works(account):
    # the admin's create path and the factories share one service
    api_client, secret = api_client_for(account, "write:shopping", name="x")
    assert api_client.check_secret(secret)
