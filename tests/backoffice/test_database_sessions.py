"""The app's PostgreSQL sessions: JIT compilation off, the URL's own options kept."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_sessions_run_without_jit_and_keep_the_urls_options():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
    options = connection.settings_dict["OPTIONS"]["options"]
    assert options.endswith("-c jit=off") and options.count("jit") == 1
