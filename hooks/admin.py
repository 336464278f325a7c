"""The worker's task rows in the admin: they belong to no one account (a webhook delivery's task
names only a delivery number), so, like the reconciliation runs, only superusers see them.
Administrators see their account's webhooks on the staff pages (/<aid>/hooks/)."""

from django.contrib import admin
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from backoffice.admin_site import SuperusersOnly

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(SuperusersOnly, DBTaskResultAdmin):
    pass
