from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core import housekeeping
        from notifications.housekeeping import notifications_purge_expired

        housekeeping.register("notifications", notifications_purge_expired)
