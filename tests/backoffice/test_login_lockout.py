"""Staff sign-in is locked per user and per address after repeated failures (django-axes), says
so plainly, and an administrator unlocks it."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client, RequestFactory, override_settings

from backoffice.client_address import client_address
from tests.support.factories import PASSWORD, UserFactory

LOCKED = "Too many failed sign-ins for this user or from this address"


def sign_in(username: str, password: str, address: str = "10.0.0.1", path: str = "/login/"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": username, "password": password})
    return client, response


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def assert_locked(response) -> None:
    assert response.status_code == 429, response.status_code
    assert LOCKED in response.content.decode()
    assert 'data-testid="login-locked-out"' in response.content.decode()


def test_forty_wrong_passwords_then_the_right_one_is_still_refused(staff):
    user = staff["Customer service"]
    answers = [sign_in(user.username, f"guess-{n}")[1].status_code for n in range(40)]
    limit = settings.AXES_FAILURE_LIMIT
    assert answers == [200] * (limit - 1) + [429] * (40 - limit + 1)
    client, response = sign_in(user.username, PASSWORD)
    assert_locked(response)
    assert not signed_in(client)
    # The page still offers the form, with the username kept.
    assert 'name="password"' in response.content.decode() and user.username in response.content.decode()


def test_the_address_is_locked_for_every_user(staff):
    attacker = staff["Customer service"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(attacker.username, f"guess-{n}", address="10.0.0.1")
    # Another user, with the right password, from the same address.
    client, response = sign_in(staff["Finance"].username, PASSWORD, address="10.0.0.1")
    assert_locked(response)
    assert not signed_in(client)
    # Guessing other usernames from there is refused too.
    assert_locked(sign_in("nobody", "guess", address="10.0.0.1")[1])
    # From another address that user signs in.
    client, response = sign_in(staff["Finance"].username, PASSWORD, address="10.0.0.2")
    assert response.status_code == 302 and signed_in(client)


def test_the_user_is_locked_from_every_address(staff):
    user = staff["Finance"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(user.username, "guess", address=f"10.0.1.{n}")
    client, response = sign_in(user.username, PASSWORD, address="10.0.2.1")
    assert_locked(response)
    assert not signed_in(client)


def test_the_admin_sign_in_counts_and_is_locked_too(staff):
    admin = staff["Administrator"]
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(admin.username, f"guess-{n}", path="/admin/login/")[1].status_code == 200
    assert_locked(sign_in(admin.username, "guess", path="/admin/login/")[1])
    assert_locked(sign_in(admin.username, PASSWORD, path="/admin/login/")[1])
    assert_locked(sign_in(admin.username, PASSWORD, path="/login/", address="10.9.9.9")[1])


def test_the_lock_is_kept_in_the_database_for_every_app_server(staff):
    user = staff["Finance"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(user.username, "guess")
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    (attempt,) = AccessAttempt.objects.filter(username=user.username)
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    # No password is kept, not even a wrong one.
    assert "guess" not in attempt.post_data


def test_a_session_made_by_force_login_is_not_a_sign_in_attempt(staff, account):
    """The suite's fixtures sign in with force_login: neither counted nor refused."""
    user = staff["Customer service"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(user.username, "guess", address="127.0.0.1")
    client = Client()
    client.force_login(user)
    assert client.get(f"/{account.aid}/orders/").status_code == 200


def test_a_nul_in_the_username_is_refused_not_a_crash(db):
    client, response = sign_in("admin\x00", "guess")
    assert response.status_code in (200, 400) and not signed_in(client)


def test_an_administrator_unlocks_their_staff_and_only_theirs(staff, account, other_account, roles):
    locked, theirs = staff["Customer service"], UserFactory(username="other-cs", accounts=[other_account])
    for user, address in [(locked, "10.0.0.1"), (theirs, "10.0.0.2")]:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(user.username, "guess", address=address)
    admin = Client()
    admin.force_login(staff["Administrator"])

    page = admin.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert locked.username in page.content.decode()
    assert theirs.username not in page.content.decode()  # another account's staff

    # The unlock action, on every attempt id, forged ones of the other account included.
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin.post(
        "/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids}, follow=True
    )
    assert "Unlocked: 1 failed sign-in record(s) forgotten." in response.content.decode()
    assert not AccessAttempt.objects.filter(username=locked.username).exists()
    assert AccessAttempt.objects.filter(username=theirs.username).exists()

    client, response = sign_in(locked.username, PASSWORD, address="10.0.0.3")
    assert response.status_code == 302 and signed_in(client)
    assert_locked(sign_in(theirs.username, PASSWORD, address="10.0.0.4")[1])


def test_customer_service_and_finance_cannot_reach_the_lock_outs(staff):
    for role in ["Customer service", "Finance"]:
        client = Client()
        client.force_login(staff[role])
        response = client.get("/admin/axes/accessattempt/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_operator_unlocks_everyone_with_axes_reset(staff):
    user = staff["Finance"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(user.username, "guess")
    assert_locked(sign_in(user.username, PASSWORD)[1])
    call_command("axes_reset")
    client, response = sign_in(user.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_a_setting(staff):
    user = staff["Finance"]
    assert [sign_in(user.username, "guess")[1].status_code for _ in range(4)] == [200, 200, 429, 429]


@pytest.mark.parametrize(
    "forwarded, proxies, expected",
    [
        (None, 0, "203.0.113.9"),
        ("198.51.100.1", 0, "203.0.113.9"),  # not trusted without NUM_PROXIES
        ("198.51.100.1", 1, "198.51.100.1"),
        ("192.0.2.7, 198.51.100.1", 1, "198.51.100.1"),  # the hop the trusted proxy saw
        ("not-an-address", 1, "203.0.113.9"),  # a forged header neither crashes nor dodges
        ("\x00", 1, "203.0.113.9"),
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, forwarded, proxies, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/login/", REMOTE_ADDR="203.0.113.9", **headers)
    assert client_address(request) == expected
