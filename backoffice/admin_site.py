"""The Django admin, for administrators only.

Django's stock admin lets in any `is_staff` user. Here the admin is a tool of the
*Administrator* role (and of superusers): customer-service or finance staff never reach it,
whatever their `is_staff` flag says, and an administrator does not need that flag.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from backoffice.auth_backends import staff_accounts
from backoffice.models import Account
from backoffice.roles import ADMINISTRATOR


def is_administrator(user) -> bool:
    """Superusers, and active members of the Administrator group."""
    if not (user and user.is_active and user.is_authenticated):
        return False
    return user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()


class AdministratorAuthenticationForm(AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "Please enter the correct username and password of an administrator. "
            "Note that both fields may be case-sensitive."
        ),
    }

    def confirm_login_allowed(self, user) -> None:
        if not is_administrator(user):
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class BackofficeAdminSite(admin.AdminSite):
    site_header = _("Order back-office administration")
    site_title = _("Back-office admin")
    index_title = _("Data fixes, staff roles and API clients")
    login_form = AdministratorAuthenticationForm

    def has_permission(self, request) -> bool:
        return is_administrator(request.user)


if TYPE_CHECKING:
    # The mixins below go before a ModelAdmin or an inline in their class's bases.
    _AdminMixin = admin.options.BaseModelAdmin[Any]
else:
    _AdminMixin = object


# How many pages a list offers past the one shown: it counts its rows that far and no further
# (a list of a million orders counted them all, twice, on every page: 0.3 s). Every page stays
# reachable, ten at a time, and a page costs what its depth does, whatever the table's size.
AHEAD = 10
MAX_PAGE = 1_000_000


class AtLeast(int):
    """A count that stopped one past `counted` rows, written as what it says."""

    counted: int

    def __str__(self) -> str:
        return _("more than %(count)s") % {"count": intcomma(self.counted)}


class CappedPaginator(Paginator):
    """Pages over a count that reads no further than AHEAD pages past `page` (`SELECT count(*)
    FROM (… LIMIT n)`)."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, page: int = 1):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.counted = (page + AHEAD) * int(per_page)

    @cached_property
    def count(self) -> int:
        rows: Any = self.object_list  # the admin's list: a queryset
        counted = rows.order_by()[: self.counted + 1].count()
        if counted <= self.counted:
            return counted
        at_least = AtLeast(counted)
        at_least.counted = self.counted
        return at_least


def member_account_ids(request) -> list[int] | None:
    """The ids of the accounts the user is a member of (read with the user); None: every one."""
    if request.user.is_superuser:
        return None
    return [account.pk for account in staff_accounts(request.user)]


class AccountScoped(_AdminMixin):
    """Administrators who are not superusers see only the data of accounts they are members of.

    Every admin view (list, change, delete, history, actions, autocomplete) reads through
    `get_queryset`, so another account's row is not found: Django redirects to the index. The
    accounts are named by their ids (`account_id IN (…)`), so that a list is read along the
    indexes that start with the account rather than joined to its members.

    Lists count their rows as far as the pages they offer (`CappedPaginator`), never twice."""

    account_path = "account"
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count of every row for each filter's every choice
    # Rows a page shows, as many as the order list's: the admin writes each cell through its own
    # machinery (100 rows of orders, their money formatted, took 45 ms at a million orders).
    list_per_page = 25

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        page = request.GET.get("p", "1")  # Django's ChangeList reads it again, and checks it
        # Bounded, so that a forged page number cannot make the count's LIMIT overflow a bigint.
        number = min(int(page), MAX_PAGE) if page.isdigit() else 1
        return CappedPaginator(queryset, per_page, orphans, allow_empty_first_page, page=number)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        ids = member_account_ids(request)
        if ids is None:
            return qs
        return qs.filter(**{f"{self.account_path}__in": ids})


class AccountFilter(admin.RelatedFieldListFilter):
    """The accounts to filter by: the user's own (Django's `RelatedOnlyFieldListFilter` read
    them off every row listed, a scan of all of them)."""

    def field_choices(self, field, request, model_admin):
        ids = member_account_ids(request)
        accounts = Account.objects.order_by("aid")
        if ids is not None:
            accounts = accounts.filter(pk__in=ids)
        return [(account.pk, str(account)) for account in accounts]


# The currencies of the accounts' orders, one index probe per currency (a "skip scan" of the
# index `order_account_gross_asc`): DISTINCT read every order's row.
_CURRENCIES = """
WITH RECURSIVE found (currency) AS (
    (SELECT currency FROM orders_order WHERE account_id = %(account)s ORDER BY currency LIMIT 1)
    UNION ALL
    SELECT (SELECT o.currency FROM orders_order o
            WHERE o.account_id = %(account)s AND o.currency > found.currency
            ORDER BY o.currency LIMIT 1)
    FROM found WHERE found.currency IS NOT NULL
)
SELECT currency FROM found WHERE currency IS NOT NULL
"""


def order_currencies(request) -> list[str]:
    from orders.models import Order

    ids = member_account_ids(request)
    if ids is None:
        ids = list(Account.objects.values_list("pk", flat=True))
    if connection.vendor != "postgresql":  # the embedded database: SQLite reads them as they come
        orders = Order.objects.filter(account__in=ids).order_by("currency")
        return list(orders.values_list("currency", flat=True).distinct())
    found: set[str] = set()
    with connection.cursor() as cursor:
        for account in ids:
            cursor.execute(_CURRENCIES, {"account": account})
            found.update(currency for (currency,) in cursor.fetchall())
    return sorted(found)


class CurrencyFilter(admin.AllValuesFieldListFilter):
    """The currency of the order (`currency`, `order__currency`, …): the currencies of the
    user's accounts' orders, never another account's."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices: Any = order_currencies(request)


class SuperusersOnly(_AdminMixin):
    """Records that belong to no one account (they span every tenant): only superusers see them."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser and super().has_delete_permission(request, obj)


class ReadOnly(_AdminMixin):
    """History: shown, never added, changed or deleted (a crafted POST is refused too)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
