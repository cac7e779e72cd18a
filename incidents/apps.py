from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils import timezone


def _install_builtin_types(sender, using="default", **kwargs) -> None:
    """After migrate (and a test database flush): the built-in incident types exist.
    Only missing ones are created: a lead's edits and retirements are kept."""
    from incidents.builtin_types import BUILTIN_TYPES
    from incidents.models import IncidentType

    present = set(IncidentType.objects.using(using).values_list("key", flat=True))
    for document in BUILTIN_TYPES:
        if document["key"] in present:
            continue
        # Saved raw, as loaddata saves fixtures: reference data that comes with a
        # migrate, like a migration's, is not an audit event (a lead's edits are).
        IncidentType(builtin=True, updated_at=timezone.now(), **document).save_base(
            raw=True, using=using
        )


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        post_migrate.connect(
            _install_builtin_types, sender=self, dispatch_uid="cordon.builtin_incident_types"
        )
        from incidents.models import Incident
        from incidents.selectors import visible_incidents
        from notifications.inapp import register_gate

        # The bell never shows a notification about an incident out of the person's sight.
        register_gate(
            Incident,
            lambda user, ids: (
                visible_incidents(user).filter(pk__in=ids).values_list("pk", flat=True)
            ),
        )
