import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from backoffice.roles import ADMINISTRATOR, ORDER_PERMISSIONS, ROLE_PERMISSIONS

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def roles(db, settings):
    """The role groups come from a data migration; a transactional test's flush removes them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for name, codenames in {**ROLE_PERMISSIONS, ADMINISTRATOR: ORDER_PERMISSIONS}.items():
        group, _ = Group.objects.get_or_create(name=name)
        if not group.permissions.exists():
            group.permissions.set(
                Permission.objects.filter(content_type__app_label="orders", codename__in=codenames)
            )


@pytest.fixture
def login(staff):
    """`login("Finance")` -> a test client signed in as the account's finance user."""

    def make(role: str = "Administrator", **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(staff[role])
        return client

    return make
