"""Each attempt keeps its delivery's subscription, indexed with its time: a subscription's attempts,
newest first, and its last one are an index range instead of a join through all its deliveries.
A subscription's deliveries are indexed with their id (which replaces the foreign key's index)."""

import django.db.models.deletion
from django.db import migrations, models

# Portable (PostgreSQL and SQLite): each attempt gets its delivery's subscription.
BACKFILL = """
UPDATE hooks_attempt SET subscription_id = (
    SELECT hooks_delivery.subscription_id FROM hooks_delivery WHERE hooks_delivery.id = hooks_attempt.delivery_id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("hooks", "0002_administrator_manage_hooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="subscription",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="hooks.subscription",
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name="attempt",
            name="subscription",
            field=models.ForeignKey(
                db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="hooks.subscription"
            ),
        ),
        migrations.AddIndex(
            model_name="attempt",
            index=models.Index(fields=["subscription", "-started_at", "-id"], name="hook_attempt_subscription"),
        ),
        # The new index first: deleting a subscription never goes without one.
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["subscription", "-id"], name="hook_delivery_subscription"),
        ),
        migrations.AlterField(
            model_name="delivery",
            name="subscription",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="hooks.subscription",
            ),
        ),
    ]
