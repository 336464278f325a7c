"""The outbox: the deliveries a change causes, written in the change's own transaction together
with the tasks that will send them. A crash after the commit loses nothing (the rows are there
for the worker); a rollback sends nothing."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from backoffice.models import Account
from backoffice.rows import columns, table
from hooks.events import DRAFT_EVENTS, HookEvent, order_event_hooks
from hooks.models import Delivery, Subscription
from hooks.tasks import delivery_send
from orders.api.serializers import DraftSerializer, EventSerializer, OrderSerializer
from orders.models import DraftOrder, Event
from orders.selectors import order_list
from orders.services.events import DraftChange


def body_bytes(payload: dict[str, Any]) -> str:
    """Compact UTF-8 JSON: the bytes a receiver hashes. The same text as JavaScript's
    `JSON.stringify` of the parsed body, which Dintero's signature example recomputes."""
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def delivery_kick(delivery: Delivery, at: datetime | None = None) -> None:
    """Enqueue the task that sends `delivery` (at `at`, or now), in the caller's transaction."""
    now = timezone.now()
    task = delivery_send if at is None or at <= now else delivery_send.using(run_after=at)
    task.enqueue(delivery.pk)
    delivery.kicked_at = now
    Delivery.objects.filter(pk=delivery.pk).update(kicked_at=now)


def delivery_create(
    subscription: Subscription,
    event: HookEvent,
    payload: dict[str, Any],
    *,
    order_key=None,
    draft_key=None,
) -> Delivery:
    """One event owed to one subscription: its body carries `account_id`, `event` and
    `event_delivery` beside the payload, as Dintero's examples do."""
    delivery = Delivery(subscription=subscription, event=event, order_key=order_key, draft_key=draft_key)
    delivery.body = body_bytes(
        {
            "account_id": subscription.account.aid,
            "event": str(event),
            "event_delivery": str(delivery.event_delivery),
            **payload,
        }
    )
    delivery.save(force_insert=True)
    delivery_kick(delivery)
    return delivery


def _listening(account_id: int, events: set[str]) -> list[Subscription]:
    """The account's active subscriptions to any of `events`, each with its account: as
    `Subscription.objects.filter(…).select_related("account")`, by SQL written once
    (`backoffice.rows`), since every event written asks."""
    subscription, account = columns(Subscription, "s", connection), columns(Account, "a", connection)
    sql = (
        f"SELECT {subscription.select}, {account.select} FROM {table(Subscription, connection)} s"
        f" JOIN {table(Account, connection)} a ON a.id = s.account_id"
        " WHERE s.account_id = %s AND s.active AND s.deleted_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [account_id])
        rows = cursor.fetchall()
    found = []
    for row in rows:
        listening = subscription.instance(row, 0, connection)
        if events & set(listening.events):
            listening.account = account.instance(row, subscription.width, connection)
            found.append(listening)
    return found


def _jsonable(data: Any) -> Any:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


class HookOutbox:
    """The orders app's event sink (`orders.services.events.EventSink`)."""

    def event_written(self, event: Event) -> None:
        hooks = order_event_hooks(event.kind)
        subscriptions = _listening(event.order.account_id, {str(h) for h in hooks})
        if not subscriptions:
            return
        # The order as the API answers it now, inside the change's transaction: each event
        # carries the order as that change left it.
        order = order_list(account=event.order.account).get(pk=event.order_id)
        order_body = _jsonable(OrderSerializer(order).data)
        event_body = _jsonable(EventSerializer(event).data)
        for subscription in subscriptions:
            for hook in hooks:
                if hook not in subscription.events:
                    continue
                payload = {"order": order_body}
                if hook is HookEvent.ORDER_EVENT_ADD:
                    payload["order_event"] = event_body
                delivery_create(subscription, hook, payload, order_key=order.pk)

    def draft_changed(self, draft: DraftOrder, change: DraftChange) -> None:
        hook = DRAFT_EVENTS[change]
        subscriptions = _listening(draft.account_id, {str(hook)})
        if not subscriptions:
            return
        body = _jsonable(DraftSerializer(draft).data)
        if change is DraftChange.DELETED:
            # As Dintero shows a deleted draft; the row itself goes with this transaction.
            status = str(body.get("status", ""))
            body["status"] = "DELETED" if status.isupper() else "deleted"
            body["deleted_at"] = _jsonable(timezone.now())
        order_id = draft.completed_order_id or draft.target_order_id
        for subscription in subscriptions:
            delivery_create(subscription, hook, {"draft_order": body}, order_key=order_id, draft_key=draft.pk)
