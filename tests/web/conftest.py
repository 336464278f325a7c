import pytest
from django.test import Client

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login(staff):
    """`login("Finance")` -> a test client signed in as the account's finance user."""

    def make(role: str = "Administrator", **kwargs) -> Client:
        client = Client(**kwargs)
        client.force_login(staff[role])
        return client

    return make
