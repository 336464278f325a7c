import pytest
from django.urls import reverse


@pytest.mark.parametrize("model", ["providercall", "paymentsession", "mismatch", "reconciliationrun"])
def test_administrator_views_payments_records_read_only(client, staff, model):
    client.force_login(staff["Administrator"])
    assert client.get(reverse(f"admin:payments_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:payments_{model}_add")).status_code == 403


def test_other_roles_do_not_see_payments_records(client, staff):
    client.force_login(staff["Finance"])
    response = client.get(reverse("admin:payments_providercall_changelist"))
    assert response.status_code in (302, 403)
