import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """These tests create and sign in many staff users: hash their passwords the cheap way."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
