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
