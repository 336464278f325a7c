"""Room on each page of the finance rollup for its rows' next versions.

Every successful operation adds to a few of `orders_financeday`'s rows, one UPDATE each. A row's
new version that fits on its page is a heap-only (HOT) update, and the old one is pruned there;
on a full page it goes to another, and the table grows with the number of updates rather than
with the number of days. Seeding a million orders (each chunk adds to every day's rows) left its
26,000 rows in 40 MB, 53 % of the updates in place, against 8 MB at a hundred thousand; the
finance page's year read all of it (47 ms of SQL against 10). With half of each page left free,
the same million leaves 11 MB, 96 % of the updates in place.

On PostgreSQL only (SQLite has no fill factor). CLUSTER rewrites the rows there now, in the order
a period is read (account, then day), leaving that room; it locks the table while it copies it,
a moment at any size, since the table grows with the days, not with the orders.
"""

from django.db import migrations

FILLFACTOR = 50


def room_to_update(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE orders_financeday SET (fillfactor = {FILLFACTOR})")
        schema_editor.execute("CLUSTER orders_financeday USING finance_day_key")


def full_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE orders_financeday RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("orders", "0020_search_text_in_upper_case")]

    operations = [migrations.RunPython(room_to_update, full_pages)]
