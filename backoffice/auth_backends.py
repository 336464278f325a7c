from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat, JSONObject

from backoffice.models import Account


class RoleBackend(ModelBackend):
    """Django's model backend, reading what every staff page asks of its user in one query.

    On PostgreSQL the user's row comes with the accounts they belong to and their own and role
    (group) permissions, as arrays in the same query (`get_user`), so a staff page pays two
    queries before its own: the session and the user. Elsewhere the accounts and permissions are
    read when first asked for, the permissions in one query instead of Django's two."""

    def get_user(self, user_id: Any):
        users = get_user_model()._default_manager.filter(pk=user_id)
        with_access = connection.vendor == "postgresql"
        if with_access:
            from django.contrib.postgres.expressions import ArraySubquery

            users = users.annotate(
                account_rows=ArraySubquery(
                    Account.members.through.objects.filter(user_id=OuterRef("pk"))
                    .order_by("account__aid")
                    .values(
                        row=JSONObject(
                            id="account__id",
                            aid="account__aid",
                            name="account__name",
                            created_at="account__created_at",
                        )
                    )
                ),
                permission_names=ArraySubquery(
                    Permission.objects.filter(Q(user=OuterRef("pk")) | Q(group__user=OuterRef("pk")))
                    .values(full_name=Concat("content_type__app_label", Value("."), "codename"))
                    .distinct()
                ),
            )
        user: Any = users.first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if with_access:
            fields = ["id", "aid", "name", "created_at"]
            user._staff_accounts = [
                Account.from_db(
                    users.db,
                    fields,
                    [*(row[f] for f in fields[:3]), datetime.fromisoformat(row["created_at"])],
                )
                for row in user.account_rows
            ]
            if not user.is_superuser:
                user._perm_cache = set(user.permission_names)
        return user

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                perms = Permission.objects.all()
            else:
                perms = Permission.objects.filter(Q(user=user_obj) | Q(group__user=user_obj)).distinct()
            user_obj._perm_cache = {
                f"{ct}.{name}" for ct, name in perms.values_list("content_type__app_label", "codename")
            }
        return user_obj._perm_cache


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def staff_accounts(user) -> list[Account]:
    """The accounts `user` belongs to, as read with the user (`RoleBackend.get_user`) or now."""
    accounts = getattr(user, "_staff_accounts", None)
    if accounts is None:
        accounts = user._staff_accounts = list(user.accounts.all())
    return accounts
