"""The order's search text (`Order.search_text`, kept by orders.services.search_text): one column
that holds everything the order search looks in, made here for the orders there are, with one
trigram index on it in place of the eight per-field ones of migration 0009 (PostgreSQL: at a
million orders a rare word is one index lookup instead of eight, and a common one a test of one
column per order instead of two subqueries).
"""

import importlib

from django.db import migrations, models

from orders.services.search_text import FILL_SQL, search_text_for

_0009_indexes = importlib.import_module("orders.migrations.0009_search_by_any_part")

BATCH = 2000

INDEX = (
    "CREATE INDEX IF NOT EXISTS order_search_text_trgm"
    " ON orders_order USING gin ((UPPER(search_text)) gin_trgm_ops)"
)


def fill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FILL_SQL.format(where="TRUE"))
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(INDEX)
        for name in _0009_indexes.INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute("ANALYZE orders_order")
        return
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    PaymentOperation = apps.get_model("orders", "PaymentOperation")
    for order in Order.objects.only("pk", "order_id", "customer").iterator(chunk_size=BATCH):
        lines = OrderLine.objects.filter(order_id=order.pk).values_list("item_id", "description")
        payment_ids = PaymentOperation.objects.filter(order_id=order.pk).values_list("payment_id", flat=True)
        Order.objects.filter(pk=order.pk).update(search_text=search_text_for(order, lines, payment_ids))


def unfill(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS order_search_text_trgm")
        _0009_indexes.create(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("orders", "0012_event_kinds_sort_by_total")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill, unfill),
    ]
