import re
import secrets

from django.db import transaction
from django.utils import timezone

from backoffice.errors import FieldError, InvalidInput

from .models import AID_PATTERN, AccessToken, Account, ApiClient, Scope, secret_hash


def account_get_or_create(*, aid: str, name: str = "") -> Account:
    if not isinstance(aid, str) or not re.fullmatch(AID_PATTERN, aid):
        raise InvalidInput([FieldError("account", f"{aid!r} is not an account id like T12345678")])
    account, _ = Account.objects.get_or_create(aid=aid, defaults={"name": name})
    return account


@transaction.atomic
def api_client_create(*, account: Account, name: str, scopes: list[str]) -> tuple[ApiClient, str]:
    """A new API client and its secret. The secret is returned once and stored only hashed."""
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise InvalidInput(
            [
                FieldError(
                    "scopes",
                    f"choose from {', '.join(Scope.values)}"
                    + (f"; unknown: {', '.join(unknown)}" if unknown else ""),
                )
            ]
        )
    if not name.strip() or len(name) > 200:
        raise InvalidInput([FieldError("name", "give the client a name of 1 to 200 characters")])
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        account=account,
        name=name,
        client_id=secrets.token_hex(16),
        secret_hash=secret_hash(secret),
        scopes=sorted(set(scopes)),
    )
    return client, secret


@transaction.atomic
def api_client_revoke(*, client: ApiClient) -> None:
    """Revoke the client and every token it holds."""
    now = timezone.now()
    client.revoked_at = now
    client.save(update_fields=["revoked_at"])
    AccessToken.objects.filter(client=client, revoked_at__isnull=True).update(revoked_at=now)


def token_revoke(*, token: AccessToken) -> None:
    AccessToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
