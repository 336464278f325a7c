"""The role groups as the migrations made them, restored after a transactional test's flush.

A transactional test ends with a flush of every table, and the role groups come from data
migrations, so the next test in the same process would find no roles (with the suite spread
over processes, any test may follow one). The groups and their permissions are read once, right
after the test database is migrated, and put back where they are missing."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

AS_MIGRATED: dict[str, list[tuple[str, str]]] = {}
_flushed = False


def remember() -> None:
    AS_MIGRATED.clear()
    for group in Group.objects.prefetch_related("permissions__content_type"):
        AS_MIGRATED[group.name] = [(p.content_type.app_label, p.codename) for p in group.permissions.all()]


def ensure(name: str) -> Group:
    """The role group `name`, with its migrated permissions if it had to be made again."""
    group, created = Group.objects.get_or_create(name=name)
    if created and AS_MIGRATED.get(name):
        wanted = Q()
        for app_label, codename in AS_MIGRATED[name]:
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group


def restore_after_flush(transactional: bool) -> None:
    """At the start of a test: put the groups back once a transactional test has run in this
    process (a test's restore lasts until its rollback or its flush, so each one restores)."""
    global _flushed
    if _flushed:
        for name in AS_MIGRATED:
            ensure(name)
    _flushed = _flushed or transactional
