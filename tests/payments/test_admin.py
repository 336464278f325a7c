import pytest
from django.urls import reverse

from payments.models import ProviderCall
from tests.support.orders import make_order


@pytest.mark.parametrize("model", ["providercall", "paymentsession", "mismatch"])
def test_administrator_views_payments_records_read_only(client, staff, model):
    client.force_login(staff["Administrator"])
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403


@pytest.mark.parametrize("model", ["reconciliationrun", "sandboxfault"])
def test_records_of_every_account_are_for_superusers(client, staff, django_user_model, model):
    """A reconciliation run counts every account's calls; a sandbox fault is not an account's
    record in the admin (staff set them on their account's pages)."""
    client.force_login(staff["Administrator"])
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 403
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.com", "x-Root-pass-1")
    )
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200


def test_other_roles_do_not_see_payments_records(client, staff):
    client.force_login(staff["Finance"])
    response = client.get(reverse("admin:payments_providercall_changelist"))
    assert response.status_code in (302, 403)


def test_administrators_see_only_their_accounts_provider_calls(client, staff, account, other_account):
    mine = ProviderCall.objects.create(order=make_order(account), provider="sandbox", kind="capture")
    theirs = ProviderCall.objects.create(order=make_order(other_account), provider="sandbox", kind="capture")
    client.force_login(staff["Administrator"])
    listed = client.get(reverse("admin:payments_providercall_changelist")).context["cl"].result_list
    assert mine in listed
    assert theirs not in listed
    assert client.get(reverse("admin:payments_providercall_change", args=[theirs.pk])).status_code == 302
