from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make this app's exist now.
    app_config = apps.get_app_config("hooks")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Administrator")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="hooks", codename="manage_hooks"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name="Administrator"):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="hooks", codename="manage_hooks"))


class Migration(migrations.Migration):
    """The webhooks pages are the Administrator role's."""

    dependencies = [("hooks", "0001_initial"), ("backoffice", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
