"""Accounts, the staff who may act on them, and API clients with their tokens."""

import hashlib
import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

# \A and \Z, not ^ and $: `$` also matches before a trailing newline (in Python, and so in
# SQLite's REGEXP); both anchors mean the same in PostgreSQL. [0-9], not \d: Python's \d
# takes any Unicode digit.
AID_PATTERN = r"\A[PT][0-9]{8}\Z"


def secret_hash(secret: str) -> str:
    """Client secrets and tokens are long random strings: a plain SHA-256 is enough to
    store them safely (there is nothing to brute-force, unlike a password)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class Account(models.Model):
    aid = models.CharField("account id", max_length=9, unique=True, validators=[RegexValidator(AID_PATTERN)])
    name = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="accounts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["aid"]
        constraints = [
            models.CheckConstraint(condition=models.Q(aid__regex=AID_PATTERN), name="account_aid_format")
        ]

    def __str__(self) -> str:
        return f"{self.aid} {self.name}".strip()

    @property
    def is_test(self) -> bool:
        return self.aid.startswith("T")


class Scope(models.TextChoices):
    READ = "read:shopping"
    WRITE = "write:shopping"
    ADMIN = "admin:shopping"
    # The Hooks API (webhook subscriptions), as Dintero scopes it.
    HOOKS_READ = "read:hooks"
    HOOKS_ADMIN = "admin:hooks"


WRITE_SCOPES = frozenset({Scope.WRITE, Scope.ADMIN})


class ApiClient(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="api_clients")
    name = models.CharField(max_length=200)
    client_id = models.CharField(max_length=64, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API client"
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    # An API client stands where DRF expects a user.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def check_secret(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, secret_hash(secret))

    def can_read(self) -> bool:
        return bool(set(self.scopes) & {Scope.READ, *WRITE_SCOPES})

    def can_write(self) -> bool:
        return bool(set(self.scopes) & WRITE_SCOPES)


class AccessToken(models.Model):
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"token for {self.client} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyRecord(models.Model):
    """The first response to a write sent with an `Idempotency-Key`, replayed for repeats.

    A row without a status is a request still being processed."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"], name="idempotency_key_once")]

    def __str__(self) -> str:
        return self.key


class RateLimitWindow(models.Model):
    """One client's open rate-limit window (backoffice/rate_limit.py), where the cache cannot
    count atomically: requests counted so far, and when the window closes (Unix time)."""

    bucket = models.CharField(max_length=255, primary_key=True)
    hits = models.PositiveIntegerField()
    closes_at = models.FloatField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"


class ScheduledTask(models.Model):
    """When a periodic task of the background worker (`WORKER_SCHEDULE`) is next due. Every worker
    process looks; the one whose conditional update moves `next_run_at` on enqueues the task, so
    it runs once per period however many workers there are (backoffice/worker.py)."""

    name = models.CharField(max_length=100, primary_key=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name}: next at {self.next_run_at:%Y-%m-%d %H:%M:%S}"
