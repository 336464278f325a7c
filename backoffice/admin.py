"""Admin for accounts, staff (roles and account memberships) and API clients.

An API client's secret is shown once, on the page that follows its creation, and stored only
hashed. Clients and tokens are revoked, never edited."""

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Exists, OuterRef, QuerySet
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from backoffice.admin_site import AccountFilter, AccountScoped, ReadOnly
from backoffice.models import AccessToken, Account, ApiClient, IdempotencyRecord, Scope
from backoffice.roles import ADMINISTRATOR, CUSTOMER_SERVICE, FINANCE
from backoffice.services import api_client_create, api_client_revoke, token_revoke

ROLES = [CUSTOMER_SERVICE, FINANCE, ADMINISTRATOR]
Membership = Account.members.through


def staff_managed_by(users: QuerySet[User], administrator: User) -> QuerySet[User]:
    """The staff an administrator may see and change: everyone for a superuser; otherwise the
    users who belong to at least one of the administrator's accounts and to no other account,
    and who hold nothing beyond the three roles (no superuser flag, no permission of their own,
    no other group). Anyone else is out of reach — their password cannot be reset, nor their
    roles or accounts changed — because taking them over would cross into another account or
    above the administrator's role.

    A user in no account at all belongs to no tenant, so only superusers manage them. The admin
    never makes one for an administrator: a user added or changed by a non-superuser must keep
    at least one account (`MembershipFormSet`)."""
    if administrator.is_superuser:
        return users
    memberships = Membership.objects.filter(user=OuterRef("pk"))
    own_accounts = Membership.objects.filter(user=administrator).values("account_id")
    other_groups = User.groups.through.objects.filter(user=OuterRef("pk")).exclude(group__name__in=ROLES)
    own_permissions = User.user_permissions.through.objects.filter(user=OuterRef("pk"))
    return (
        users.filter(is_superuser=False)
        .filter(Exists(memberships))
        .exclude(Exists(memberships.exclude(account_id__in=own_accounts)))
        .exclude(Exists(other_groups))
        .exclude(Exists(own_permissions))
    )


class MembershipFormSet(BaseInlineFormSet):
    # Set per request: a non-superuser must leave the user in one of their accounts.
    at_least_one = False

    def clean(self) -> None:
        super().clean()
        if not self.at_least_one:
            return
        cleaned = [getattr(form, "cleaned_data", {}) for form in self.forms]
        kept = [data for data in cleaned if data.get("account") and not data.get(DELETION_FIELD_NAME)]
        if not kept:
            raise forms.ValidationError(
                "Choose at least one of your accounts: a user in none is managed by superusers only."
            )


class MembershipInline(admin.TabularInline):
    model = Account.members.through
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["account"]
    verbose_name = "account membership"
    verbose_name_plural = "Accounts this user may see"

    def get_formset(self, request, obj=None, **kwargs):
        # A new subclass of `self.formset` on every call.
        formset = cast(type[MembershipFormSet], super().get_formset(request, obj, **kwargs))
        formset.at_least_one = not request.user.is_superuser
        return formset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # An administrator hands out only the accounts they are a member of themselves: the
        # choices (and the autocomplete, through AccountAdmin) offer no other, and a forged POST
        # of another account's id is "not a valid choice".
        if db_field.name == "account" and not request.user.is_superuser:
            kwargs["queryset"] = Account.objects.filter(members=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["aid", "name", "is_test", "member_list", "created_at"]
    search_fields = ["aid", "name", "members__username"]
    filter_horizontal = ["members"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).prefetch_related("members")
        if request.user.is_superuser:
            return qs
        return qs.filter(members=request.user)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return self.readonly_fields
        # Members are chosen on the user page, among the administrator's own staff (here every
        # user would be offered, other accounts' too); the id is what tokens and URLs name.
        return [*self.readonly_fields, "aid", "members"]

    def has_add_permission(self, request) -> bool:
        # A new tenant is the operator's to create.
        return request.user.is_superuser and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Accounts own orders and their money history.
        return False

    @admin.display(description=gettext_lazy("test"), boolean=True)
    def is_test(self, account):
        return account.is_test

    @admin.display(description=gettext_lazy("members"))
    def member_list(self, account):
        return ", ".join(sorted(u.get_username() for u in account.members.all())) or "—"


class ApiClientCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["account", "name", "scopes"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "client_id", "scope_list", "created_at", "revoked_at"]
    list_filter = [("account", AccountFilter), ("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=client_id", "account__aid"]
    list_select_related = ["account"]
    actions = ["revoke"]
    # The hash is deliberately never shown.
    readonly_fields = ("account", "name", "client_id", "scope_list", "created_at", "revoked_at")
    fields = readonly_fields

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(account__members=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["account", "name", "scopes"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "account" and not request.user.is_superuser:
            kwargs["queryset"] = Account.objects.filter(members=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        # Clients are created and revoked, not edited: new scopes mean a new client.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Operations and events name the client that recorded them: revoke instead.
        return False

    def save_model(self, request, obj, form, change) -> None:
        client, secret = api_client_create(
            account=form.cleaned_data["account"],
            name=form.cleaned_data["name"],
            scopes=list(form.cleaned_data["scopes"]),
        )
        obj.pk = client.pk
        obj.client_id = client.client_id
        obj.secret_hash = client.secret_hash
        obj.scopes = client.scopes
        obj.created_at = client.created_at
        obj._state.adding = False
        # Held on the request only: shown on the next page, never stored in clear.
        request.new_client_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "new_client_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": f"API client {obj.name} created",
            "opts": self.model._meta,
            "client": obj,
            "secret": secret,
        }
        response = TemplateResponse(request, "admin/backoffice/apiclient/secret_once.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.display(description=gettext_lazy("scopes"))
    def scope_list(self, client):
        return " ".join(client.scopes)

    @admin.action(description=gettext_lazy("Revoke the selected API clients and their tokens"))
    def revoke(self, request, queryset):
        count = 0
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client)
            count += 1
        self.message_user(
            request, gettext("%(count)s API client(s) revoked.") % {"count": count}, messages.SUCCESS
        )


@admin.register(AccessToken)
class AccessTokenAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    account_path = "client__account"
    list_display = ["__str__", "client", "account", "created_at", "expires_at", "revoked_at", "valid"]
    list_filter = [
        ("revoked_at", admin.EmptyFieldListFilter),
        ("client__account", AccountFilter),
    ]
    search_fields = ["=client__client_id", "client__name", "client__account__aid"]
    list_select_related = ["client__account"]
    actions = ["revoke"]
    fields = ("client", "created_at", "expires_at", "revoked_at")
    readonly_fields = fields

    @admin.display(description=gettext_lazy("account"))
    def account(self, token):
        return token.client.account

    @admin.display(description=gettext_lazy("valid"), boolean=True)
    def valid(self, token):
        return token.is_valid

    @admin.action(description=gettext_lazy("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()):
            token_revoke(token=token)
            count += 1
        self.message_user(
            request, gettext("%(count)s token(s) revoked.") % {"count": count}, messages.SUCCESS
        )


class AnswerFilter(admin.SimpleListFilter):
    """The kind of answer a key keeps: Django's values filter read every record's to offer them."""

    title = gettext_lazy("answer")
    parameter_name = "answer"
    CLASSES = {"2xx": (200, 299), "4xx": (400, 499), "5xx": (500, 599)}

    def lookups(self, request, model_admin):
        return [
            *((name, name) for name in self.CLASSES),
            ("none", gettext_lazy("none yet (in progress)")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(status_code__isnull=True)
        answers = self.CLASSES.get(self.value() or "")
        return queryset.filter(status_code__range=answers) if answers else queryset


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(AccountScoped, ReadOnly, admin.ModelAdmin):
    list_display = ["key", "account", "status_code", "created_at"]
    list_filter = [("account", AccountFilter), AnswerFilter]
    search_fields = ["=key"]
    fields = ("account", "key", "fingerprint", "status_code", "response_body", "created_at")
    readonly_fields = fields


admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    """Staff users: roles are groups, and account memberships say which accounts they see."""

    list_display = [
        "username",
        "email",
        "first_name",
        "last_name",
        "role_list",
        "account_list",
        "is_active",
        "last_login",
    ]
    # Related filters offer only what the listed users hold: other accounts are not named.
    list_filter = [
        ("groups", admin.RelatedOnlyFieldListFilter),
        "is_active",
        "is_superuser",
        ("accounts", admin.RelatedOnlyFieldListFilter),
    ]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        (
            "Roles",
            {
                "fields": ["is_active", "groups", "is_staff", "is_superuser", "user_permissions"],
                "description": "Roles are the groups Customer service, Finance and Administrator. "
                "Only Administrators (and superusers) can open this admin.",
            },
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_queryset(self, request):
        # Every view of a user — list, change, history, password, delete, autocomplete — finds
        # them through this queryset: anyone else is "not found".
        qs = super().get_queryset(request).prefetch_related("groups", "accounts")
        return staff_managed_by(qs, request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # An administrator cannot raise anyone (themselves included) above their own role:
            # these are shown, and a forged POST of them is ignored.
            readonly += ["is_superuser", "is_staff", "user_permissions"]
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            # The roles only: another group may carry any permission.
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Operations and events point at the user who acted: deactivate instead.
        return request.user.is_superuser and super().has_delete_permission(request, obj)

    @admin.display(description=gettext_lazy("roles"))
    def role_list(self, user):
        return ", ".join(sorted(g.name for g in user.groups.all())) or "—"

    @admin.display(description=gettext_lazy("accounts"))
    def account_list(self, user):
        return ", ".join(sorted(a.aid for a in user.accounts.all())) or "—"


from backoffice import admin_lockouts  # noqa: E402, F401  (registers the sign-in lock-outs admin)
