"""The migrations say everything the models say: a model change without its migration (a new
choice, an index, a verbose name) would be made by the next `makemigrations` on a deployment."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_model_change_lacks_its_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:
        pytest.fail(f"models and migrations disagree:\n{out.getvalue()}" if exit.code else "")
