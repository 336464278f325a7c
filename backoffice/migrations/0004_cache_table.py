from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The cache (rate limits) lives in the database by default, so that every app server
    # shares it; with CACHE_URL pointing at Redis or memcached this creates nothing.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0003_administrator_admin_permissions")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
