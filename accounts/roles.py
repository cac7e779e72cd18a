"""The six CSIRT roles. Each is a Django group of the same name with its permissions
(granted by data migrations in the app that owns each permission)."""

from django.db import models


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    RESPONDER = "responder", "Responder"
    MANAGER = "manager", "Manager"
    LEGAL = "legal", "Legal"
    AUDITOR = "auditor", "Auditor"
    REPORTER = "reporter", "Reporter"


ROLE_NAMES = frozenset(Role.values)
