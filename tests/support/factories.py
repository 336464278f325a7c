"""Accounts, staff users and API clients for tests."""

import factory
from django.contrib.auth.models import User

from backoffice.models import Account
from backoffice.services import api_client_create
from tests.support import roles

# The `account` and `other_account` fixtures' ids.
AID = "T12345678"
OTHER_AID = "T87654321"
# Every staff user's password.
PASSWORD = "correct horse battery"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("aid",)

    aid = factory.Sequence(lambda n: f"T{10000000 + n:08d}")
    name = factory.Faker("company")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = False
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`UserFactory(role="Finance", accounts=[account])`."""
        if create and extracted:
            self.groups.add(roles.ensure(extracted))
            self.save()

    @factory.post_generation
    def accounts(self, create, extracted, **kwargs):
        if create and extracted:
            self.accounts.add(*extracted)


def api_client_for(account: Account, scopes: str = "admin:shopping", name: str = "shop"):
    """An API client and its secret, made by the service the admin uses."""
    return api_client_create(account=account, name=name, scopes=scopes.split())


# The roles a staff user may have, and the `staff` fixture's user of each.
ROLES = ("Customer service", "Finance", "Administrator")


def staff_for(account: Account) -> dict[str, User]:
    """Staff users of the account, one per role, named by its first word ("customer", …)."""
    return {
        role: UserFactory(username=f"{role.split()[0].lower()}", role=role, accounts=[account])
        for role in ROLES
    }
