import pytest


@pytest.fixture(autouse=True)
def mail_settings(settings):
    """Django's test mail outbox, the sandbox provider, and retries that come at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "Back-office <orders@shop.example>"
    settings.CUSTOMER_MAIL_DEFAULT_LANGUAGE = "nb"
    settings.CUSTOMER_MAIL_RETRY_BASE_SECONDS = 0
    settings.DINTERO_ACCOUNT_ID = ""
    settings.DINTERO_CLIENT_ID = ""
    settings.DINTERO_CLIENT_SECRET = ""
    settings.PUBLIC_URL = "http://testserver"
