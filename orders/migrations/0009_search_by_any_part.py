"""Trigram indexes for searching by any part of a value (orders.selectors.order_search): each is
on exactly the expression the search compares, `UPPER(…)`, so `LIKE '%TERM%'` can use it.

PostgreSQL only (pg_trgm); SQLite, the development default, scans its small demo data.
"""

from django.db import migrations

INDEXES = {
    "order_order_id_trgm": ("orders_order", "UPPER(order_id)"),
    "order_email_trgm": ("orders_order", "UPPER(customer ->> 'email')"),
    "order_first_name_trgm": ("orders_order", "UPPER(customer ->> 'first_name')"),
    "order_last_name_trgm": ("orders_order", "UPPER(customer ->> 'last_name')"),
    "order_phone_trgm": ("orders_order", "UPPER(customer ->> 'phone_number')"),
    "line_sku_trgm": ("orders_orderline", "UPPER(item_id)"),
    "line_description_trgm": ("orders_orderline", "UPPER(description)"),
    "operation_payment_id_trgm": ("orders_paymentoperation", "UPPER(payment_id)"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, expression) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (({expression}) gin_trgm_ops)"
        )
    for table in sorted({table for table, _ in INDEXES.values()}):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_customer_updated_event")]

    operations = [migrations.RunPython(create, drop)]
