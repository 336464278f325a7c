"""Staff sessions (`backoffice/sessions.py`): read by a statement written once, with Django's
rules: an expired or unknown session is none, and a new one gets a new key."""

import datetime as dt

from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.sessions import SessionStore


def test_a_signed_in_session_is_read_in_one_query(account, login):
    staff = login("Administrator")
    key = staff.cookies["sessionid"].value

    with CaptureQueriesContext(connection) as queries:
        data = SessionStore(key).load()

    assert data["_auth_user_id"] and len(queries) == 1
    assert staff.get(f"/{account.aid}/hooks/").status_code == 200


def test_an_expired_session_is_none_and_signs_its_user_out(account, login):
    staff = login("Administrator")
    key = staff.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))

    store = SessionStore(key)
    assert store.load() == {} and store.session_key is None  # a new session gets a new key

    response = staff.get(f"/{account.aid}/hooks/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_unknown_or_forged_key_is_no_session(db):
    for key in ("x" * 32, "' OR '1'='1", "é" * 40):
        store = SessionStore(key)
        assert store.load() == {} and store.session_key is None
