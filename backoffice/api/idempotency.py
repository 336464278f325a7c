"""`Idempotency-Key` on writes: the same key and body replay the first response without
writing again; the same key with another request is a conflict.

The key is claimed in its own short transaction (the unique constraint decides between two
requests racing with one key); the write and the stored response then commit together, so a
crash leaves either both or neither. A claim with no response that is older than
`STALE_AFTER` belongs to a request that died before committing, and may be taken over.
"""

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.errors import Conflict, DomainError, FieldError, InvalidInput
from backoffice.models import Account, IdempotencyRecord

from .errors import domain_error_response

STALE_AFTER = timedelta(seconds=60)
KEY_LIMIT = 255


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(account: Account, key: str, fingerprint: str) -> IdempotencyRecord | Response:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(account=account, key=key, fingerprint=fingerprint)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(account=account, key=key)
        if record.fingerprint != fingerprint:
            raise Conflict(f"Idempotency-Key {key!r} was already used for a different request")
        if record.status_code is not None:
            return Response(record.response_body, status=record.status_code)
        if record.created_at > timezone.now() - STALE_AFTER:
            raise Conflict(f"a request with Idempotency-Key {key!r} is still being processed")
        record.created_at = timezone.now()
        record.save(update_fields=["created_at"])
        return record


def idempotent(
    request: Request, account: Account, write: Callable[[], Response], *, atomic: bool = True
) -> Response:
    """Run `write` at most once per idempotency key of the account.

    With `atomic`, the write and its stored response commit together. A write that calls a
    payment provider must hold no transaction across the call (`atomic=False`): its response is
    stored after it, and the provider calls it makes are themselves recorded before they are
    sent, so a retry after a crash in between cannot make them twice. A 5xx answer is not kept:
    the same key may be tried again."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return _run(write)
    if not key.strip() or len(key) > KEY_LIMIT:
        raise InvalidInput([FieldError("Idempotency-Key", f"must be 1 to {KEY_LIMIT} characters")])
    claimed = _claim(account, key, _fingerprint(request))
    if isinstance(claimed, Response):
        claimed["Idempotent-Replayed"] = "true"
        return claimed
    try:
        with transaction.atomic() if atomic else nullcontext():
            response = _run(write)
            if response.status_code < 500:
                claimed.status_code = response.status_code
                claimed.response_body = response.data
                claimed.save(update_fields=["status_code", "response_body"])
    except BaseException:
        claimed.delete()
        raise
    if response.status_code >= 500:
        claimed.delete()
    return response


def _run(write: Callable[[], Response]) -> Response:
    try:
        return write()
    except DomainError as exc:
        return domain_error_response(exc)
