"""Dintero's order status fields (closed, and who cancelled and why), the closed status, a
store's orders' index, and events as Dintero models them: a UUID answered as `id` and the API
request that made the change.

Existing events get a UUID each before the column turns unique."""

import uuid

import django.db.models.fields.json
from django.db import migrations, models


def events_uuid(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # one statement, for the millions of events a large deployment holds (PostgreSQL 13+)
        schema_editor.execute("UPDATE orders_event SET uuid = gen_random_uuid() WHERE uuid IS NULL")
        return
    Event = apps.get_model("orders", "Event")
    batch = []
    for event in Event.objects.filter(uuid__isnull=True).only("pk").iterator(chunk_size=2000):
        event.uuid = uuid.uuid4()
        batch.append(event)
        if len(batch) >= 2000:
            Event.objects.bulk_update(batch, ["uuid"])
            batch = []
    if batch:
        Event.objects.bulk_update(batch, ["uuid"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_dintero_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="cancelled_by",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="order",
            name="cancelled_reason",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="order",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="closed_by",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RemoveConstraint(
            model_name="order",
            name="order_status_valid",
        ),
        migrations.AlterField(
            model_name="order",
            name="status",
            field=models.CharField(
                choices=[("ACTIVE", "Active"), ("CLOSED", "Closed"), ("CANCELLED", "Cancelled")],
                default="ACTIVE",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ["ACTIVE", "CLOSED", "CANCELLED"])),
                name="order_status_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                models.F("account"),
                django.db.models.fields.json.KeyTextTransform("id", "store"),
                models.OrderBy(models.F("created_at"), descending=True),
                name="order_account_store",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="request",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="event",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(events_uuid, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="event",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
