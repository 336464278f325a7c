"""Mail backends for the tests."""

import time

from django.core.mail.backends.locmem import EmailBackend


class SlowBackend(EmailBackend):
    """The test outbox, taking a while over each message, as a mail server does."""

    def send_messages(self, messages):
        time.sleep(0.5)
        return super().send_messages(messages)
