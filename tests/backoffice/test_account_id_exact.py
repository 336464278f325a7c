"""An account id is `[PT]` and eight ASCII digits, all of it: the command, the model's validator
and the database constraint all refuse a trailing newline (which `$` lets through in Python and
in SQLite's REGEXP) and digits of other scripts."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DataError, IntegrityError, transaction

from backoffice.models import Account, ApiClient

BAD_AIDS = ["T12345678\n", "\nT12345678", "T1234567\n", "T\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668"]


@pytest.mark.parametrize("aid", BAD_AIDS)
def test_create_api_client_refuses_the_account_id_and_creates_nothing(db, aid):
    with pytest.raises(CommandError) as raised:
        call_command("create_api_client", "--account", aid, "--name", "shop")
    assert "is not an account id like T12345678" in str(raised.value)
    assert not Account.objects.exists()
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize("aid", BAD_AIDS)
def test_the_model_validator_refuses_the_account_id(db, aid):
    with pytest.raises(ValidationError) as raised:
        Account(aid=aid, name="x").full_clean()
    assert "aid" in raised.value.message_dict


@pytest.mark.parametrize("aid", BAD_AIDS)
def test_the_database_refuses_the_account_id(db, aid):
    # PostgreSQL refuses the 10-character ones for their length before the constraint.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        Account.objects.create(aid=aid)
    assert not Account.objects.exists()


def test_a_good_account_id_is_taken(db):
    call_command("create_api_client", "--account", "P00000001", "--name", "shop")
    Account(aid="T00000002", name="x").full_clean()
    assert Account.objects.get().aid == "P00000001"
