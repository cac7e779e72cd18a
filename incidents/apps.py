from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
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
