"""Staff sign-in lock-outs (django-axes' failed attempts), for administrators to unlock.

django-axes' own admin is off (AXES_ENABLE_ADMIN): it would show every tenant's usernames to
every administrator. Here a superuser sees every attempt, address-only ones included; another
administrator sees those of the staff they manage (`staff_managed_by`) and can unlock them.
Unlocking deletes the attempts, as `manage.py axes_reset_username` does."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from backoffice.admin_site import is_administrator


@admin.register(AccessAttempt)
class LoginLockoutAdmin(admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "attempt_time", "locked", "path_info"]
    search_fields = ["username", "ip_address"]
    ordering = ["-attempt_time"]
    actions = ["unlock"]
    fields = ("username", "ip_address", "user_agent", "path_info", "failures_since_start", "attempt_time")
    readonly_fields = fields

    def get_queryset(self, request):
        from backoffice.admin import staff_managed_by

        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        usernames = staff_managed_by(User.objects.all(), request.user).values("username")
        return qs.filter(username__in=usernames)

    @admin.display(description=gettext_lazy("locked"), boolean=True)
    def locked(self, attempt: AccessAttempt) -> bool:
        recent = attempt.attempt_time >= timezone.now() - settings.AXES_COOLOFF_TIME
        return recent and attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT

    @admin.action(description=gettext_lazy("Unlock: forget these failed sign-ins"), permissions=["delete"])
    def unlock(self, request, queryset) -> None:
        count, _ = queryset.delete()
        self.message_user(
            request,
            gettext("Unlocked: %(count)s failed sign-in record(s) forgotten.") % {"count": count},
            messages.SUCCESS,
        )

    # Administrators (the only people this admin lets in) read and unlock; nobody writes attempts.
    def has_module_permission(self, request) -> bool:
        return is_administrator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_administrator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
