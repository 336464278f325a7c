import pytest
from django.urls import reverse

from payments.models import ProviderCall
from tests.factories import make_order


@pytest.mark.parametrize("model", ["providercall", "paymentsession", "mismatch", "reconciliationrun"])
def test_administrator_views_payments_records_read_only(client, staff, model):
    client.force_login(staff["Administrator"])
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403


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
