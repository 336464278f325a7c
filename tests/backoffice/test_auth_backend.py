import pytest
from django.contrib.auth.models import Permission

from tests.support.factories import UserFactory


def test_permissions_of_roles_and_of_the_user_in_one_query(account, django_assert_num_queries):
    user = UserFactory(role="Customer service", accounts=[account])
    user.user_permissions.add(Permission.objects.get(codename="view_finance"))
    with django_assert_num_queries(1):
        assert user.has_perm("orders.record_operation")  # from the role
        assert user.has_perm("orders.view_finance")  # the user's own
        assert not user.has_perm("orders.record_refund")


def test_inactive_users_have_no_permissions(account):
    user = UserFactory(role="Administrator", accounts=[account], is_active=False)
    assert not user.has_perm("orders.view_order")


@pytest.mark.postgres
def test_a_staff_page_pays_two_queries_before_its_own(account, other_account, staff, client):
    """The session, and the user with their accounts and permissions in the same query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = staff["Customer service"]
    other_account.members.add(user)
    client.force_login(user)
    client.get(f"/{account.aid}/drafts/")  # remembers the account in the session: a write, once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/{account.aid}/drafts/")
    assert response.status_code == 200
    overhead = [q["sql"] for q in queries.captured_queries if "orders_" not in q["sql"]]
    assert len(overhead) == 2, overhead
    # what the one user query brought: the account switcher lists both accounts, and the
    # permissions decide what the page offers
    assert other_account.aid in response.content.decode()
    assert response.wsgi_request.user.has_perm("orders.record_operation")
    assert not response.wsgi_request.user.has_perm("orders.record_refund")


def test_backend_reads_the_users_accounts_and_permissions_with_the_user(account, other_account, staff):
    from backoffice.auth_backends import RoleBackend, staff_accounts

    user = RoleBackend().get_user(staff["Finance"].pk)
    assert [a.aid for a in staff_accounts(user)] == [account.aid]
    assert user.has_perm("orders.view_finance") and not user.has_perm("orders.build_draft")
    other_account.members.add(user)
    # read again on the next request: a membership change is seen at once
    again = RoleBackend().get_user(staff["Finance"].pk)
    assert [a.aid for a in staff_accounts(again)] == sorted([account.aid, other_account.aid])


def test_inactive_users_are_not_signed_in(account):
    from backoffice.auth_backends import RoleBackend

    user = UserFactory(role="Finance", accounts=[account], is_active=False)
    assert RoleBackend().get_user(user.pk) is None


@pytest.mark.parametrize("session_id", ["-734501", "x", None, "1 OR 1=1", 10**30])
def test_a_session_naming_no_user_signs_in_nobody(account, staff, session_id):
    from backoffice.auth_backends import RoleBackend

    assert RoleBackend().get_user(session_id) is None


def test_each_user_is_read_as_themselves_from_the_query_written_once(account, other_account, staff):
    from backoffice.auth_backends import RoleBackend, staff_accounts

    other = UserFactory(role="Administrator", accounts=[other_account])
    for user, aids in ((staff["Finance"], [account.aid]), (other, [other_account.aid])):
        read = RoleBackend().get_user(str(user.pk))  # as the session holds it
        assert read.pk == user.pk and [a.aid for a in staff_accounts(read)] == aids
    assert RoleBackend().get_user(other.pk).has_perm("orders.build_draft")
