from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories import UserFactory


def test_permissions_of_roles_and_of_the_user_in_one_query(account):
    user = UserFactory(role="Customer service", accounts=[account])
    user.user_permissions.add(Permission.objects.get(codename="view_finance"))
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("orders.record_operation")  # from the role
        assert user.has_perm("orders.view_finance")  # the user's own
        assert not user.has_perm("orders.record_refund")
    assert len(queries.captured_queries) == 1


def test_inactive_users_have_no_permissions(account):
    user = UserFactory(role="Administrator", accounts=[account], is_active=False)
    assert not user.has_perm("orders.view_order")
