"""Settings for the test suite: development mode said explicitly, a fast password hasher, and the
test client's address as this deployment's public URL (token audiences, payment links)."""

import os

# Before the base settings read it. A subprocess a test starts with DEBUG=false (to check the
# production settings) keeps its own value.
os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PUBLIC_URL = "http://testserver"
PAYMENTS_PUBLIC_URL = PUBLIC_URL
PUBLIC_URL_FROM_REQUEST = False
# Connections close after each request, as before: live servers' threads then hold none when the
# test database is flushed or dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The suite's pages speak English unless a test asks for Norwegian (Accept-Language, the language
# cookie): the default for people is Norwegian (backoffice/settings.py), and tests of it set it.
LANGUAGE_CODE = "en"
