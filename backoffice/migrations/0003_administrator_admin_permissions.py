from django.db import migrations

# The model permissions the Django admin checks, given to the Administrator role: every model
# of the orders and back-office apps (the admin itself keeps money read-only and undeletable),
# staff users (to assign roles and accounts) and a read-only view of the roles.
ADMIN_APPS = ["orders", "backoffice"]
AUTH_CODENAMES = ["view_user", "add_user", "change_user", "view_group", "view_logentry"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Administrator")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=ADMIN_APPS),
        *Permission.objects.filter(
            content_type__app_label__in=["auth", "admin"], codename__in=AUTH_CODENAMES
        ),
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Administrator").first()
    if group is None:
        return
    keep = {"view_order", "build_draft", "record_operation", "record_refund", "cancel_order",
            "add_note", "view_finance", "reconcile"}
    group.permissions.remove(
        *Permission.objects.filter(content_type__app_label__in=ADMIN_APPS).exclude(codename__in=keep),
        *Permission.objects.filter(
            content_type__app_label__in=["auth", "admin"], codename__in=AUTH_CODENAMES
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_roles"),
        ("orders", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
