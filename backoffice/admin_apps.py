from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Installed in place of `django.contrib.admin` so that `admin.site` is the
    administrators-only site of `backoffice.admin_site`."""

    default_site = "backoffice.admin_site.BackofficeAdminSite"
