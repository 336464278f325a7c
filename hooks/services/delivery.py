"""Sending deliveries: one attempt at a time, retried with backoff, in order per order, at least
once. What Dintero documents (https://docs.dintero.com/api-reference/subscriptions/
create-new-subscription): a 2xx answer is a success and anything else, a redirect included, a
failure; five tries in all; a subscription whose delivery keeps failing is turned off.

An attempt holds its delivery with a lease (twice the timeout and five seconds) while no
transaction is open, sends, then records the outcome. A worker killed mid-attempt leaves the
lease to run out; the sweep then enqueues the delivery again, and the receiver gets it again with
the same `event-delivery` id.
"""

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from backoffice.actor import Actor
from backoffice.errors import Conflict
from hooks.events import HookEvent
from hooks.models import MAX_ATTEMPTS, Attempt, Delivery, DeliveryState, Subscription
from hooks.network import hook_client

from .outbox import delivery_kick

logger = logging.getLogger("hooks")

USER_AGENT = "Backoffice-Hook/1"
# What is kept of a receiver's answer.
RESPONSE_BODY_LIMIT = 16 * 1024
RESPONSE_HEADERS_LIMIT = 50


def lease() -> timedelta:
    return timedelta(seconds=2 * settings.HOOKS_TIMEOUT_SECONDS + 5)


def retry_delay(attempts: int) -> timedelta:
    """After the first failure HOOKS_RETRY_BASE_SECONDS, then twice as long each time:
    30 s, 1 min, 2 min, 4 min by default."""
    return timedelta(seconds=settings.HOOKS_RETRY_BASE_SECONDS * 2 ** (attempts - 1))


def signature(secret: str, body: bytes) -> str:
    """`event-signature`: the HMAC-SHA1 hex digest of the body, keyed with the secret."""
    return hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def _chain(delivery: Delivery) -> Q | None:
    q = Q()
    if delivery.order_key:
        q |= Q(order_key=delivery.order_key)
    if delivery.draft_key:
        q |= Q(draft_key=delivery.draft_key)
    return q or None


def _waiting(delivery: Delivery) -> bool:
    """Something written before it for the same order or draft is still owed."""
    chain = _chain(delivery)
    if chain is None:
        return False
    return Delivery.objects.filter(
        chain, subscription_id=delivery.subscription_id, state=DeliveryState.PENDING, pk__lt=delivery.pk
    ).exists()


def _may_send(subscription: Subscription, delivery: Delivery) -> bool:
    # A ping is asked for explicitly: it goes even to a subscription that is off.
    if subscription.is_deleted:
        return False
    return subscription.active or delivery.event == HookEvent.PING


def _claim(delivery_id: int) -> Delivery | None:
    delivery = Delivery.objects.select_related("subscription__account").filter(pk=delivery_id).first()
    now = timezone.now()
    if delivery is None or delivery.is_finished or delivery.next_attempt_at > now:
        return None
    if not _may_send(delivery.subscription, delivery) or _waiting(delivery):
        return None
    # Compare and set: of two workers given the same delivery, one wins.
    claimed = (
        Delivery.objects.filter(pk=delivery.pk, state=DeliveryState.PENDING, attempts=delivery.attempts)
        .filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))
        .update(attempts=F("attempts") + 1, leased_until=now + lease())
    )
    if not claimed:
        return None
    delivery.attempts += 1
    return delivery


@dataclass
class Outcome:
    started_at: datetime
    headers: dict[str, str]
    status_code: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _send(delivery: Delivery) -> Outcome:
    """One POST, with no transaction open."""
    subscription = delivery.subscription
    body = delivery.body.encode()
    headers = {
        "Content-Type": subscription.content_type,
        "User-Agent": USER_AGENT,
        "event": delivery.event,
        "event-delivery": str(delivery.event_delivery),
    }
    if subscription.secret:
        headers["event-signature"] = signature(subscription.secret, body)
    outcome = Outcome(started_at=timezone.now(), headers=headers)
    started = time.monotonic()
    deadline = started + 2 * settings.HOOKS_TIMEOUT_SECONDS
    try:
        with (
            hook_client(verify=not subscription.insecure_ssl) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):
            outcome.status_code = response.status_code
            outcome.response_headers = dict(list(response.headers.items())[:RESPONSE_HEADERS_LIMIT])
            kept = b""
            for chunk in response.iter_bytes():
                kept += chunk[: RESPONSE_BODY_LIMIT - len(kept)]
                # However slowly it comes, an answer takes no longer than the lease allows.
                if len(kept) >= RESPONSE_BODY_LIMIT or time.monotonic() > deadline:
                    break
            outcome.response_body = kept.decode(errors="replace")
    except httpx.HTTPError as exc:
        outcome.error = (str(exc) or type(exc).__name__)[:500]
    except (ValueError, UnicodeError) as exc:  # a URL httpx cannot use
        outcome.error = f"cannot send to this URL: {exc}"[:500]
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def _kick_next(delivery: Delivery) -> None:
    """What was waiting for this one may go now: the next one owed for its order, and for its
    draft."""
    for key in ("order_key", "draft_key"):
        value = getattr(delivery, key)
        if value is None:
            continue
        following = (
            Delivery.objects.filter(
                subscription_id=delivery.subscription_id,
                state=DeliveryState.PENDING,
                pk__gt=delivery.pk,
                **{key: value},
            )
            .order_by("pk")
            .first()
        )
        if following is not None:
            delivery_kick(following, following.next_attempt_at)


def _deactivate(subscription: Subscription, delivery: Delivery, outcome: Outcome) -> None:
    last = f"HTTP {outcome.status_code}" if outcome.status_code else outcome.error
    reason = (
        f"{delivery.event} {delivery.event_delivery} failed {delivery.attempts} times in a row (last: {last})"
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        active=False, deactivated_reason=reason[:500], updated_at=timezone.now()
    )
    logger.warning("webhook subscription %s turned off: %s", subscription.pk, reason)


def _settle(claimed: Delivery, outcome: Outcome) -> str:
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=claimed.pk)
        Attempt.objects.create(
            delivery=delivery,
            subscription_id=delivery.subscription_id,
            number=claimed.attempts,
            url=claimed.subscription.url,
            request_headers=outcome.headers,
            status_code=outcome.status_code,
            response_headers=outcome.response_headers,
            response_body=outcome.response_body,
            error=outcome.error,
            success=outcome.success,
            started_at=outcome.started_at,
            duration_ms=outcome.duration_ms,
        )
        if delivery.state != DeliveryState.PENDING:
            return f"attempt {claimed.attempts}: already {delivery.state}"
        now = timezone.now()
        latest = delivery.attempts == claimed.attempts  # no other worker took it over since
        if outcome.success:
            delivery.state, delivery.finished_at, delivery.leased_until = DeliveryState.SUCCEEDED, now, None
            delivery.save(update_fields=["state", "finished_at", "leased_until"])
            _kick_next(delivery)
            return f"attempt {claimed.attempts}: delivered ({outcome.status_code})"
        if not latest:
            return f"attempt {claimed.attempts}: failed; a later attempt is under way"
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.state, delivery.finished_at, delivery.leased_until = DeliveryState.FAILED, now, None
            delivery.save(update_fields=["state", "finished_at", "leased_until"])
            _deactivate(claimed.subscription, delivery, outcome)
            _kick_next(delivery)
            return f"attempt {claimed.attempts}: failed, no tries left"
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.leased_until = None
        delivery.save(update_fields=["next_attempt_at", "leased_until"])
        delivery_kick(delivery, delivery.next_attempt_at)
        return f"attempt {claimed.attempts}: failed, next at {delivery.next_attempt_at:%H:%M:%S}"


def delivery_attempt(delivery_id: int) -> str:
    """Send the delivery once, if it is due, its subscription takes it, and nothing written
    before it for the same order or draft is still owed (that one sends it on when done)."""
    claimed = _claim(delivery_id)
    if claimed is None:
        return "not due"
    outcome = _send(claimed)
    return _settle(claimed, outcome)


def _heads(deliveries: list[Delivery]) -> list[Delivery]:
    """Of pending deliveries in the order they were written, those nothing earlier holds up."""
    seen: set[tuple] = set()
    heads = []
    for delivery in deliveries:
        keys = {
            (delivery.subscription_id, k, v)
            for k, v in (("o", delivery.order_key), ("d", delivery.draft_key))
            if v
        }
        if not keys & seen:
            heads.append(delivery)
        seen |= keys
    return heads


SWEEP_BATCH = 500
# A delivery enqueued this long ago and still not taken is enqueued again (a worker died between
# taking its task and taking the delivery); a busy queue only gets a spare task for it.
STALE_AFTER_SECONDS = 120


def deliveries_sweep() -> int:
    """Enqueue again the deliveries that are due and that nothing earlier holds up, when the
    attempt that held them has run out of lease (its worker died, even by `kill -9`), or when
    they were last enqueued a while ago and never taken (their task was lost with a worker).
    Each is then sent once more, with the same `event-delivery`: at least once, never lost."""
    now = timezone.now()
    forgotten = now - timedelta(seconds=max(settings.HOOKS_SWEEP_SECONDS, STALE_AFTER_SECONDS))
    pending = list(
        Delivery.objects.filter(state=DeliveryState.PENDING, subscription__deleted_at__isnull=True)
        .filter(Q(subscription__active=True) | Q(event=HookEvent.PING))
        .order_by("pk")[: SWEEP_BATCH * 4]
    )
    kicked = 0
    for delivery in _heads(pending):
        if delivery.next_attempt_at > now:
            continue
        lease_over = delivery.leased_until is not None and delivery.leased_until <= now
        if delivery.leased_until is not None and not lease_over:
            continue  # an attempt is under way
        if not lease_over and delivery.kicked_at and delivery.kicked_at > forgotten:
            continue  # its task is still queued
        if lease_over:
            Delivery.objects.filter(pk=delivery.pk, leased_until=delivery.leased_until).update(
                leased_until=None
            )
        delivery_kick(delivery)
        kicked += 1
        if kicked >= SWEEP_BATCH:
            break
    return kicked


def subscription_resume(subscription: Subscription) -> None:
    """A subscription turned on again: send on what it is owed, oldest first."""
    pending = list(
        Delivery.objects.filter(subscription=subscription, state=DeliveryState.PENDING).order_by("pk")
    )
    for delivery in _heads(pending):
        delivery_kick(delivery, delivery.next_attempt_at)


def delivery_redeliver(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Send a finished delivery again, with the same `event-delivery` id and body and a fresh
    five tries (staff, from the webhooks page)."""
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery.pk)
        subscription = delivery.subscription
        if subscription.is_deleted:
            raise Conflict(
                "the subscription is deleted: nothing is sent to it any more",
                shown=gettext("the subscription is deleted: nothing is sent to it any more"),
            )
        if not delivery.is_finished:
            raise Conflict(
                f"delivery {delivery.event_delivery} is still being sent",
                shown=gettext("delivery %(delivery)s is still being sent")
                % {"delivery": delivery.event_delivery},
            )
        if not _may_send(subscription, delivery):
            raise Conflict(
                "the subscription is off: turn it on first",
                shown=gettext("the subscription is off: turn it on first"),
            )
        delivery.state, delivery.attempts, delivery.finished_at = DeliveryState.PENDING, 0, None
        delivery.next_attempt_at, delivery.leased_until = timezone.now(), None
        delivery.save(update_fields=["state", "attempts", "finished_at", "next_attempt_at", "leased_until"])
        logger.info("delivery %s redelivered by %s", delivery.event_delivery, actor.label)
        delivery_kick(delivery)
        return delivery
