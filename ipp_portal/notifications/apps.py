from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ipp_portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"
