"""The three roles hold real permissions; pages, the API and the admin each enforce theirs."""

import pytest
from django.contrib.auth.models import Group


def codenames(role: str) -> set[str]:
    return set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))


@pytest.mark.django_db
def test_roles_hold_real_permissions():
    admin, finance, service = codenames("Administrator"), codenames("Finance"), codenames("Customer service")
    assert {
        "view_finance",
        "reconcile",
        "change_order",
        "view_paymentoperation",
        "change_user",
        "add_apiclient",
    } <= admin
    assert {"view_finance", "reconcile", "record_refund"} <= finance
    assert not {"change_order", "change_user", "build_draft"} & finance
    assert {"build_draft", "record_operation", "cancel_order"} <= service
    assert not {"view_finance", "record_refund", "change_order"} & service


@pytest.mark.parametrize("role", ["Customer service", "Finance", "Administrator"])
def test_a_staff_session_is_not_an_api_credential(client, staff, account, role):
    """The API takes API clients' tokens and their scopes, never a signed-in staff user."""
    client.force_login(staff[role])
    assert client.get(f"/v1/accounts/{account.aid}/shopping/orders").status_code == 401


def test_api_scopes_not_roles(make_api, account):
    reader = make_api(account, "read:shopping")
    assert reader.call("get", "orders").status_code == 200
    assert reader.call("post", "draft_orders", {"order": {"currency": "NOK", "items": []}}).status_code == 403
