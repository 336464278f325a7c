from django.db import migrations


def grant(apps, schema_editor):
    """The Administrator role may view the payments records in the admin (they stay read-only)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Administrator")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="payments", codename__startswith="view_")
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Administrator").first()
    if group:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="payments"))


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("backoffice", "0003_administrator_admin_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
