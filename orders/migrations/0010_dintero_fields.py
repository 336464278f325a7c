"""Dintero's documented draft, order, item and tax line fields, stored and answered; the
discount totals; the multiple_authorizations option; an operation item's payout; and the VAT
warning of a line, with the index the books check counts them through.

https://docs.dintero.com/api-reference/draftitems/add-item-to-draft
https://docs.dintero.com/api-reference/draft/complete-a-draft-order
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_search_by_any_part"),
    ]

    operations = [
        migrations.AddField(
            model_name="operationitem",
            name="payout",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="order",
            name="dintero",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="order",
            name="merchant_reference_2",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name="order",
            name="multiple_authorizations",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="order",
            name="total_discount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="order",
            name="total_manual_discount_amount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="orderline",
            name="dintero",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="orderline",
            name="discount_amount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="orderline",
            name="manual_discount_amount",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="orderline",
            name="vat_warning",
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name="taxline",
            name="dintero",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddIndex(
            model_name="orderline",
            index=models.Index(
                condition=models.Q(("vat_warning", ""), _negated=True),
                fields=["order"],
                name="line_vat_warning",
            ),
        ),
    ]
