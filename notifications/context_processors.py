"""`unread_notifications` for the bell in the navigation, counted only when a page
shows it (lazily), within need-to-know (notifications.inapp)."""

from django.utils.functional import SimpleLazyObject

from notifications.inapp import COUNT_LIMIT, inapp_unread_count


def unread_notifications(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def label() -> str:
        count = inapp_unread_count(user=user)
        return f"{COUNT_LIMIT}+" if count > COUNT_LIMIT else str(count)

    return {"unread_notifications": SimpleLazyObject(label)}
