import json
import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from backoffice.models import AccessToken, ApiClient, secret_hash
from orders.models import Event, EventKind, OperationItem, OrderLine, PaymentOperation
from tests.factories import AccountFactory, UserFactory, api_client_for, item, make_order, record

from .forms import form_data


@pytest.fixture
def admin_user(staff):
    return staff["Administrator"]


@pytest.fixture
def order(account):
    order = make_order(
        account,
        [item(1, 39800, 25), item(2, 10000, 15)],
        shipping_address={
            "address_line": "Storgata 1",
            "postal_place": "Osloo",
            "postal_code": "0155",
            "country": "NO",
        },
    )
    record(order, "authorization", [(1, 39800), (2, 10000)])
    record(order, "capture", [(1, 39800)])
    return order


def change_post(client, url: str, **changes) -> dict:
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_data(page.content.decode())
    data.update(changes)
    data["_save"] = "Save"
    return data


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
    response = client.post("/admin/login/", {"username": "finance", "password": "correct horse battery"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_administrator_logs_in_without_the_staff_flag(client, admin_user, order):
    assert not admin_user.is_staff
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "administrator", "password": "correct horse battery"}
    )
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


def test_address_fix_writes_an_event_with_the_admin_user(client, admin_user, order):
    client.force_login(admin_user)
    url = reverse("admin:orders_order_change", args=[order.pk])
    fixed = {**order.shipping_address, "postal_place": "Oslo"}
    data = change_post(client, url, shipping_address=json.dumps(fixed), fix_reason="typo in city")

    response = client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    order.refresh_from_db()
    assert order.shipping_address["postal_place"] == "Oslo"
    event = Event.objects.get(order=order, kind=EventKind.DATA_FIXED)
    assert event.actor_user == admin_user
    assert event.created_by == "administrator"
    assert event.data["changes"] == [
        {"field": "shipping_address.postal_place", "from": "Osloo", "to": "Oslo"}
    ]
    assert event.data["reason"] == "typo in city"
    assert "Osloo → Oslo" in event.summary


def test_saving_without_changes_writes_no_event(client, admin_user, order):
    client.force_login(admin_user)
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert client.post(url, change_post(client, url)).status_code == 302
    assert not Event.objects.filter(kind=EventKind.DATA_FIXED).exists()


def test_line_description_fix_is_an_event_but_the_amount_stays(client, admin_user, order):
    client.force_login(admin_user)
    line = order.lines.get(line_id=1)
    url = reverse("admin:orders_orderline_change", args=[line.pk])
    data = change_post(
        client, url, description="Stablestol, grå", gross_amount="1", tax_amount="0", captured_amount="0"
    )

    assert client.post(url, data).status_code == 302

    line.refresh_from_db()
    assert line.description == "Stablestol, grå"
    assert (line.gross_amount, line.tax_amount, line.captured_amount) == (39800, 7960, 39800)
    event = Event.objects.get(kind=EventKind.DATA_FIXED)
    assert event.data["line_id"] == 1 and event.actor_user == admin_user


def test_money_pages_show_the_note_about_reversals(client, admin_user, order):
    client.force_login(admin_user)
    op = PaymentOperation.objects.filter(order=order).first()
    page = client.get(reverse("admin:orders_paymentoperation_change", args=[op.pk])).content.decode()
    assert "Replace item" in page
    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert "Replace item" in page and "reversal line" in page


def test_operations_and_lines_cannot_be_deleted_or_edited(client, admin_user, order):
    client.force_login(admin_user)
    op = PaymentOperation.objects.filter(order=order, kind="capture").get()
    op_item = OperationItem.objects.filter(operation=op).get()
    line = order.lines.get(line_id=1)

    for url in (
        reverse("admin:orders_paymentoperation_delete", args=[op.pk]),
        reverse("admin:orders_operationitem_delete", args=[op_item.pk]),
        reverse("admin:orders_orderline_delete", args=[line.pk]),
        reverse("admin:orders_order_delete", args=[order.pk]),
        reverse("admin:orders_event_delete", args=[Event.objects.first().pk]),
    ):
        assert client.post(url, {"post": "yes"}).status_code == 403, url

    # a crafted change POST on an operation or an item is refused
    assert (
        client.post(
            reverse("admin:orders_paymentoperation_change", args=[op.pk]), {"amount": "1", "kind": "refund"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("admin:orders_operationitem_change", args=[op_item.pk]), {"amount": "1"}
        ).status_code
        == 403
    )
    assert client.post(reverse("admin:orders_paymentoperation_add"), {"amount": "1"}).status_code == 403

    # the bulk delete action is not offered
    response = client.post(
        reverse("admin:orders_paymentoperation_changelist"),
        {"action": "delete_selected", "_selected_action": [op.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert PaymentOperation.objects.filter(pk=op.pk).exists()
    assert OrderLine.objects.filter(pk=line.pk, gross_amount=39800, captured_amount=39800).exists()
    op.refresh_from_db()
    assert (op.amount, op.kind) == (39800, "capture")


def test_non_superuser_administrator_sees_only_member_accounts(client, admin_user, order):
    foreign = make_order(AccountFactory(aid="T99999999"), [item(1, 5000, 25)])
    client.force_login(admin_user)
    page = client.get("/admin/orders/order/").content.decode()
    assert order.order_id in page and foreign.order_id not in page
    assert client.get(reverse("admin:orders_order_change", args=[foreign.pk])).status_code == 302


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
    data = change_post(client, url)
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
