"""The Django admin, for administrators only.

Django's stock admin lets in any `is_staff` user. Here the admin is a tool of the
*Administrator* role (and of superusers): customer-service or finance staff never reach it,
whatever their `is_staff` flag says, and an administrator does not need that flag.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

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


class AccountScoped(_AdminMixin):
    """Administrators who are not superusers see only the data of accounts they are members of.

    Every admin view (list, change, delete, history, actions, autocomplete) reads through
    `get_queryset`, so another account's row is not found: Django redirects to the index."""

    account_path = "account"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{f"{self.account_path}__members": request.user})


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


class ScopedValuesFilter(admin.AllValuesFieldListFilter):
    """Django's values filter on a related path (`order__currency`) offers the values of every
    row of the related table, other accounts' included; offer those of the rows listed."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = (
            model_admin.get_queryset(request)
            .order_by(field_path)
            .values_list(field_path, flat=True)
            .distinct()
        )


class ReadOnly(_AdminMixin):
    """History: shown, never added, changed or deleted (a crafted POST is refused too)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
