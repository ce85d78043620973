from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Marketplace catalogue"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the system checks
