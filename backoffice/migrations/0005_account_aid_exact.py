# The account id pattern is anchored with \A and \Z: with ^ and $, Python's validator and
# SQLite's REGEXP (Python's re.search) also took "T12345678\n".
import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0004_cache_table")]

    operations = [
        migrations.AlterField(
            model_name="account",
            name="aid",
            field=models.CharField(
                max_length=9,
                unique=True,
                validators=[django.core.validators.RegexValidator("\\A[PT][0-9]{8}\\Z")],
                verbose_name="account id",
            ),
        ),
        migrations.RemoveConstraint(model_name="account", name="account_aid_format"),
        migrations.AddConstraint(
            model_name="account",
            constraint=models.CheckConstraint(
                condition=models.Q(("aid__regex", "\\A[PT][0-9]{8}\\Z")), name="account_aid_format"
            ),
        ),
    ]
