from .selectors import notification_unread_count


def inbox(request):
    """The unread count shown in the navigation; lazy, so pages that do not show it pay nothing."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        if not hasattr(request, "_inbox_unread"):
            request._inbox_unread = notification_unread_count(user)
        return request._inbox_unread

    return {"inbox_unread": unread}
