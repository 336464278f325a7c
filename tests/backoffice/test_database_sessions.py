"""The app's PostgreSQL sessions: JIT compilation and parallel workers off, the URL's own options
kept."""

import pytest
from django.db import connection


@pytest.mark.postgres
@pytest.mark.django_db
def test_sessions_run_without_jit_or_parallel_workers_and_keep_the_urls_options():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
    options = connection.settings_dict["OPTIONS"]["options"]
    assert options.endswith("-c jit=off -c max_parallel_workers_per_gather=0") and options.count("jit") == 1
