import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import OuterRef, Q, Value
from django.db.models.functions import Concat, JSONObject

from backoffice.models import Account
from backoffice.prepared import statements_prepared


class RoleBackend(ModelBackend):
    """Django's model backend, reading what every staff page asks of its user in one query.

    On PostgreSQL the user's row comes with the accounts they belong to and their own and role
    (group) permissions, as arrays in the same query (`get_user`), so a staff page pays two
    queries before its own: the session and the user. Elsewhere the accounts and permissions are
    read when first asked for, the permissions in one query instead of Django's two."""

    def get_user(self, user_id: Any):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None  # no session names one: sessions are the server's
        with_access = connection.vendor == "postgresql"
        if with_access:
            with statements_prepared():  # by the user's key: planned once per connection
                user: Any = next(iter(_users_with_access(user_id)), None)
        else:
            user = get_user_model()._default_manager.filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        if with_access:
            fields = ["id", "aid", "name", "created_at"]
            user._staff_accounts = [
                Account.from_db(
                    "default",
                    fields,
                    [*(row[f] for f in fields[:3]), datetime.fromisoformat(row["created_at"])],
                )
                for row in map(json.loads, user.account_rows or [])  # Django reads JSON as text
            ]
            if not user.is_superuser:
                user._perm_cache = set(user.permission_names or [])
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


# The user's query with access (`RoleBackend.get_user`), written once per process: on a staff
# page it is the one query besides the session, and building it with the ORM cost more than
# running it (1.5 of a trivial page's 5 ms).
_USER_ID = -734_501  # stands for the user's id while the query is written


@lru_cache(maxsize=1)
def _user_query() -> tuple[str, tuple]:
    from django.contrib.postgres.expressions import ArraySubquery

    users = get_user_model()._default_manager.filter(pk=_USER_ID)
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
    sql, params = users.query.sql_with_params()
    return sql, tuple(params)


def _users_with_access(user_id: int):
    """The user `user_id` (none or one), with `account_rows` and `permission_names`."""
    sql, params = _user_query()
    return get_user_model()._default_manager.raw(sql, [user_id if p == _USER_ID else p for p in params])
