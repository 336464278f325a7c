"""Webhooks as Dintero's Hooks API has them: subscriptions, and deliveries of the `shopping_*`
events, written to an outbox in the transaction of the change and sent by the background worker."""
