"""One-time tokens for the payment forms of the staff pages.

A form carries a fresh token; recording consumes it in the same transaction as the change, so
a double click (or a resubmitted page) records once and a failed attempt leaves the token
usable. The token's primary key does the work: a second insert of it fails, and on
PostgreSQL it waits for the first transaction and then fails.
"""

import uuid

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from backoffice.errors import Conflict, ErrorCode, FieldError, InvalidInput
from orders.models import FormToken


class FormAlreadySubmitted(Conflict):
    def __init__(self) -> None:
        # Staff pages only (the API has Idempotency-Key): said in the page's language.
        super().__init__(
            gettext("this form was already submitted: nothing was recorded twice"), ErrorCode.CONFLICT
        )


def form_token_new() -> str:
    return str(uuid.uuid4())


def form_token_consume(*, token: str, user: User) -> None:
    """Mark the token used. Call it inside the transaction that records the change."""
    try:
        value = uuid.UUID(str(token))
    except ValueError as exc:
        raise InvalidInput(
            [FieldError("form_token", "the form has no valid one-time token: reload the page")]
        ) from exc
    try:
        with transaction.atomic():
            FormToken.objects.create(token=value, user=user)
    except IntegrityError as exc:
        raise FormAlreadySubmitted() from exc
