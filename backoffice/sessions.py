"""Staff sessions, in the database as Django keeps them, read by a prepared statement: every
staff page reads its session by key before anything else (`backoffice/prepared.py`)."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from backoffice.prepared import statements_prepared


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        with statements_prepared():
            return super()._get_session_from_db()  # type: ignore[misc]  # not in the stubs
