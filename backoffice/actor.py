"""Who acts: every change records its actor."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from backoffice.models import ApiClient


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None = None
    client: ApiClient | None = None
    system: str = ""

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.client is not None:
            return f"api:{self.client.name}"
        return self.system or "system"

    def fields(self) -> dict:
        """The actor columns of an event or an operation."""
        return {"actor_user": self.user, "actor_client": self.client, "created_by": self.label}


SYSTEM = Actor(system="system")
