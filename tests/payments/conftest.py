import pytest

from payments import gateways
from payments.gateways import dintero

from . import dintero_emulator as emu


@pytest.fixture(autouse=True)
def sandbox_by_default(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DINTERO_ACCOUNT_ID = ""
    settings.DINTERO_CLIENT_ID = ""
    settings.DINTERO_CLIENT_SECRET = ""
    settings.PUBLIC_URL = "http://testserver"


@pytest.fixture
def emulator(settings, monkeypatch):
    """Dintero configured against the emulator; nothing leaves the process."""
    e = emu.Emulator()
    settings.DINTERO_ACCOUNT_ID = emu.AID
    settings.DINTERO_CLIENT_ID = emu.CLIENT_ID
    settings.DINTERO_CLIENT_SECRET = emu.CLIENT_SECRET
    settings.DINTERO_API_URL = emu.API
    settings.DINTERO_CHECKOUT_URL = emu.CHECKOUT
    dintero.tokens_forget()
    monkeypatch.setattr(gateways, "dintero_transport", e.transport)
    yield e
    dintero.tokens_forget()
