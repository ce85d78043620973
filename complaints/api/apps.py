from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "complaints.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from ipp_portal.notifications import services as notifications

        from . import schema  # noqa: F401 - registers the token scheme with drf-spectacular
        from .webhooks import events

        # Notices that are webhook events write their deliveries in the same transaction (see webhooks.events).
        if events.on_notices not in notifications.LISTENERS:
            notifications.LISTENERS.append(events.on_notices)
