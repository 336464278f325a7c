"""An administrator who is not a superuser manages only the staff of their own accounts.

The attack this guards against: account A's Administrator opens `/admin/auth/user/`, finds
account B's Finance user, resets their password and signs in as them."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse

from backoffice.models import Account
from tests.support.admin_forms import form_data
from tests.support.factories import PASSWORD, AccountFactory, UserFactory

NEW_PASSWORD = "taken over 4ever!"
MEMBERSHIP = "Account_members"  # the prefix of the account-membership inline's formset


@pytest.fixture
def admin_user(staff):
    return staff["Administrator"]


@pytest.fixture
def theirs(other_account, roles):
    """Account B's staff."""
    return {
        "finance": UserFactory(username="b-finance", role="Finance", accounts=[other_account]),
        "admin": UserFactory(username="b-admin", role="Administrator", accounts=[other_account]),
    }


@pytest.fixture
def out_of_reach(account, other_account, roles):
    """Users that share account A but are not A's alone to manage."""
    extra = UserFactory(username="a-extra-perms", role="Customer service", accounts=[account])
    extra.user_permissions.add(Permission.objects.get(codename="change_group"))
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(Permission.objects.get(codename="delete_account"))
    audited = UserFactory(username="a-auditor", role="Customer service", accounts=[account])
    audited.groups.add(auditors)
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    root.accounts.add(account)
    return {
        "shared": UserFactory(username="a-and-b", role="Finance", accounts=[account, other_account]),
        "superuser": root,
        "direct permission": extra,
        "other group": audited,
        "no account": UserFactory(username="nobody", role="Finance"),
    }


def listed(client) -> set[str]:
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == 200
    return {u.username for u in response.context["cl"].result_list}


def change_page_data(client, user) -> dict:
    page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert page.status_code == 200
    return {**form_data(page.content.decode()), "_save": "Save"}


def test_administrator_lists_only_staff_of_their_own_accounts(client, admin_user, theirs, out_of_reach):
    client.force_login(admin_user)

    assert listed(client) == {"customer", "finance", "administrator"}
    page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    for name in ["b-finance", "b-admin", *(u.username for u in out_of_reach.values())]:
        assert name not in page
    # nor in the filters: B's account is not offered
    assert "T87654321" not in page and "Other shop" not in page
    # a search finds nobody else either
    found = client.get(reverse("admin:auth_user_changelist"), {"q": "b-finance"}).context["cl"]
    assert list(found.result_list) == []


@pytest.mark.parametrize(
    "who", ["b-finance", "b-admin", "a-and-b", "root", "a-extra-perms", "a-auditor", "nobody"]
)
def test_administrator_cannot_touch_anyone_else(client, admin_user, theirs, out_of_reach, who):
    target = User.objects.get(username=who)
    before = (target.password, target.is_active, target.is_superuser, set(target.groups.all()))
    client.force_login(admin_user)
    index = reverse("admin:index")

    for url in (
        reverse("admin:auth_user_change", args=[target.pk]),
        reverse("admin:auth_user_history", args=[target.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == index, url
    # deactivate or regroup by a forged change POST
    response = client.post(
        reverse("admin:auth_user_change", args=[target.pk]),
        {"username": who, "is_active": "", "groups": [Group.objects.get(name="Customer service").pk]},
    )
    assert response.status_code == 302 and response["Location"] == index
    # reset the password
    password_url = reverse("admin:auth_user_password_change", args=[target.pk])
    assert client.get(password_url).status_code == 404
    response = client.post(
        password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 404
    # delete
    delete_url = reverse("admin:auth_user_delete", args=[target.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code in (403, 404)

    target.refresh_from_db()
    assert (target.password, target.is_active, target.is_superuser, set(target.groups.all())) == before
    assert target.check_password(PASSWORD)


def signs_in(username: str, password: str) -> bool:
    """On the staff sign-in page."""
    browser = Client()
    browser.post(reverse("login"), {"username": username, "password": password})
    return browser.session.get("_auth_user_id") is not None


def test_the_takeover_of_another_accounts_finance_user_fails_end_to_end(client, admin_user, theirs):
    """Sign in to the admin as A's administrator, try to set B's Finance user's password, then
    sign in as that user with it."""
    victim = theirs["finance"]
    response = client.post(
        "/admin/login/?next=/admin/", {"username": admin_user.username, "password": PASSWORD}
    )
    assert response.status_code == 302

    response = client.post(
        reverse("admin:auth_user_password_change", args=[victim.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 404
    assert not signs_in("b-finance", NEW_PASSWORD)
    assert signs_in("b-finance", PASSWORD)


def test_administrator_still_manages_their_own_staff(client, admin_user, staff):
    finance = staff["Finance"]
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[finance.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    data = change_page_data(client, finance)
    data.pop("is_active")
    assert client.post(reverse("admin:auth_user_change", args=[finance.pk]), data).status_code == 302

    finance.refresh_from_db()
    assert finance.check_password(NEW_PASSWORD) and not finance.is_active


def test_a_forged_membership_of_another_account_is_refused(client, admin_user, staff, account, other_account):
    user = staff["Customer service"]
    client.force_login(admin_user)
    data = change_page_data(client, user)
    data[f"{MEMBERSHIP}-TOTAL_FORMS"] = str(int(data[f"{MEMBERSHIP}-TOTAL_FORMS"]) + 1)
    index = int(data[f"{MEMBERSHIP}-TOTAL_FORMS"]) - 1
    data[f"{MEMBERSHIP}-{index}-account"] = str(other_account.pk)

    response = client.post(reverse("admin:auth_user_change", args=[user.pk]), data)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert list(user.accounts.all()) == [account]


def test_the_membership_field_offers_only_the_administrators_accounts(
    client, admin_user, account, other_account
):
    AccountFactory(aid="T33333333", name="Third shop")
    client.force_login(admin_user)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "backoffice", "model_name": "account_members", "field_name": "account", "term": ""},
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(account.pk)]


def add_user(client, **extra):
    data = {
        "username": "newcomer",
        "usable_password": "true",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        f"{MEMBERSHIP}-TOTAL_FORMS": "1",
        f"{MEMBERSHIP}-INITIAL_FORMS": "0",
        f"{MEMBERSHIP}-0-account": "",
        **extra,
    }
    return client.post(reverse("admin:auth_user_add"), data)


def test_a_new_user_gets_only_the_administrators_accounts(client, admin_user, account, other_account):
    client.force_login(admin_user)

    forged = add_user(client, **{f"{MEMBERSHIP}-0-account": str(other_account.pk)})
    assert forged.status_code == 200 and "Select a valid choice" in forged.content.decode()
    # in no account, the user would be nobody's but the superusers': say so instead
    orphan = add_user(client)
    assert orphan.status_code == 200 and "at least one" in orphan.content.decode()
    assert not User.objects.filter(username="newcomer").exists()

    response = add_user(client, **{f"{MEMBERSHIP}-0-account": str(account.pk)})

    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert list(newcomer.accounts.all()) == [account]
    assert client.get(response["Location"]).status_code == 200  # the page that follows opens


def test_removing_a_users_last_account_is_refused(client, admin_user, staff, account):
    user = staff["Finance"]
    client.force_login(admin_user)
    data = change_page_data(client, user)
    data[f"{MEMBERSHIP}-0-DELETE"] = "on"

    response = client.post(reverse("admin:auth_user_change", args=[user.pk]), data)

    assert response.status_code == 200 and "at least one" in response.content.decode()
    assert list(user.accounts.all()) == [account]


def test_administrator_cannot_raise_anyone_above_the_roles(client, admin_user, staff):
    auditors = Group.objects.create(name="Auditors")
    auditors.permissions.add(Permission.objects.get(codename="change_group"))
    permission = Permission.objects.get(codename="delete_account")
    client.force_login(admin_user)

    for user in (admin_user, staff["Finance"]):
        data = change_page_data(client, user)
        response = client.post(
            reverse("admin:auth_user_change", args=[user.pk]),
            {**data, "is_superuser": "on", "is_staff": "on", "user_permissions": [permission.pk]},
        )
        assert response.status_code == 302
        user.refresh_from_db()
        assert not user.is_superuser and not user.is_staff
        assert not user.user_permissions.exists()

        # a group beyond the three roles is not offered, and a forged one is refused
        assert (
            "Auditors" not in client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
        )
        response = client.post(
            reverse("admin:auth_user_change", args=[user.pk]), {**data, "groups": [auditors.pk]}
        )
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        assert not user.groups.filter(name="Auditors").exists()


def test_administrator_cannot_create_accounts_or_hand_out_their_membership(
    client, admin_user, account, other_account, theirs
):
    client.force_login(admin_user)
    url = reverse("admin:backoffice_account_change", args=[account.pk])
    data = {**form_data(client.get(url).content.decode()), "_save": "Save"}

    response = client.post(
        url, {**data, "aid": "T87654321", "members": [theirs["finance"].pk, admin_user.pk]}
    )

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.aid == "T12345678"
    # memberships are given on the user page, where only the administrator's own staff are
    assert list(theirs["finance"].accounts.all()) == [other_account]
    assert admin_user in account.members.all()
    assert client.post(reverse("admin:backoffice_account_add"), {"aid": "T44444444"}).status_code == 403
    assert not Account.objects.filter(aid="T44444444").exists()


def test_administrator_of_two_accounts_manages_the_staff_of_either(
    client, admin_user, other_account, theirs, out_of_reach
):
    other_account.members.add(admin_user)
    client.force_login(admin_user)

    assert listed(client) == {"customer", "finance", "administrator", "b-finance", "b-admin", "a-and-b"}


def test_superusers_see_and_change_everyone(client, admin_user, theirs, out_of_reach, other_account):
    client.force_login(out_of_reach["superuser"])

    assert listed(client) == set(User.objects.values_list("username", flat=True))
    response = client.post(
        reverse("admin:auth_user_password_change", args=[theirs["finance"].pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    theirs["finance"].refresh_from_db()
    assert theirs["finance"].check_password(NEW_PASSWORD)
    nobody = out_of_reach["no account"]
    data = change_page_data(client, nobody)
    data.update({f"{MEMBERSHIP}-TOTAL_FORMS": "1", f"{MEMBERSHIP}-0-account": str(other_account.pk)})
    assert client.post(reverse("admin:auth_user_change", args=[nobody.pk]), data).status_code == 302
    assert list(nobody.accounts.all()) == [other_account]
