"""`Idempotency-Key` on writes: the same key and body replay the first response without
writing again; the same key with another request is a conflict.

A write inside one transaction claims the key in that transaction, as its first statement, and
stores its response there too: the unique constraint on the key decides between two requests
racing with one key (the later waits for the earlier to commit, then answers as it did), and a
crash leaves either all or nothing. That costs two statements beside the write's own.

A write that calls a payment provider holds no transaction across the call: its key is claimed
first, in its own short transaction, and its response stored after. A claim with no response
that is older than `STALE_AFTER` belongs to a request that died before answering, and may be
taken over.
"""

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from backoffice.errors import Conflict, DomainError, FieldError, InvalidInput
from backoffice.models import Account, IdempotencyRecord
from backoffice.rows import insert, update

from .errors import domain_error_response

STALE_AFTER = timedelta(seconds=60)
KEY_LIMIT = 255


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(
    account: Account, key: str, fingerprint: str, *, taken: bool = False
) -> IdempotencyRecord | Response:
    """The key's record, claimed for this request; or the answer stored under it. `taken`: the
    key was just found held, so the claim starts by reading the record that holds it."""
    for _ in range(2):
        if not taken:
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(account=account, key=key, fingerprint=fingerprint)
            except IntegrityError:
                pass
        taken = False
        with transaction.atomic():
            record = IdempotencyRecord.objects.select_for_update().filter(account=account, key=key).first()
            if record is None:
                continue  # its request gave it up (it failed) since: claim it anew
            if record.fingerprint != fingerprint:
                raise Conflict(f"Idempotency-Key {key!r} was already used for a different request")
            if record.status_code is not None:
                return Response(record.response_body, status=record.status_code)
            if record.created_at > timezone.now() - STALE_AFTER:
                break
            record.created_at = timezone.now()
            record.save(update_fields=["created_at"])
            return record
    raise Conflict(f"a request with Idempotency-Key {key!r} is still being processed")


class _KeyTaken(Exception):
    """Another request holds the key: this one's transaction is rolled back before it writes."""


def _write_once(account: Account, key: str, fingerprint: str, write: Callable[[], Response]) -> Response:
    """Claim the key as the transaction's first statement, run `write` and store its answer,
    in one transaction. A request racing with the same key waits on the claim's row until this
    one commits, then finds the key taken; a retry finds it at once, and writes nothing."""
    with transaction.atomic():
        record = IdempotencyRecord(account=account, key=key, fingerprint=fingerprint)
        try:
            insert([record], connection)  # by a statement made once (`backoffice.rows`)
        except IntegrityError as exc:
            raise _KeyTaken from exc
        response = _run(write)
        if response.status_code < 500:
            _answer_store(record, response)
        else:
            record.delete()
    return response


def _answer_store(record: IdempotencyRecord, response: Response) -> None:
    """The key's answer: one UPDATE, by a statement made once (`backoffice.rows`)."""
    record.status_code, record.response_body = response.status_code, response.data
    update(record, ("status_code", "response_body"), connection)


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
    fingerprint = _fingerprint(request)
    taken = False
    if atomic:
        try:
            return _write_once(account, key, fingerprint, write)
        except _KeyTaken:
            taken = True  # answered as the request that holds the key was, or refused
    claimed = _claim(account, key, fingerprint, taken=taken)
    if isinstance(claimed, Response):
        claimed["Idempotent-Replayed"] = "true"
        return claimed
    try:
        with transaction.atomic() if atomic else nullcontext():
            response = _run(write)
            if response.status_code < 500:
                _answer_store(claimed, response)
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
