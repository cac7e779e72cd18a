"""Database sessions that know their owner, address and browser (accounts.UserSession).

The owner and origin are copied from the session data whenever the row is written,
so rotation (cycle_key) keeps them, and a person's sessions can be listed and ended.
"""

from datetime import UTC, datetime

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone

SESSION_IP_KEY = "cordon_ip"
SESSION_USER_AGENT_KEY = "cordon_user_agent"
SESSION_STARTED_KEY = "cordon_started_at"
LOGIN_ATTEMPT_SESSION_KEY = "cordon_login_attempt"


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id else None
        instance.ip = data.get(SESSION_IP_KEY)
        instance.user_agent = data.get(SESSION_USER_AGENT_KEY, "")
        started = data.get(SESSION_STARTED_KEY)
        if started:
            instance.created_at = datetime.fromtimestamp(started, tz=UTC)
        instance.last_seen_at = timezone.now()
        return instance
