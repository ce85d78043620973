from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = "Complaints"

    def ready(self) -> None:
        # Litigation holds (policy §3) refuse a reinstatement on any path, listings_reinstate included.
        from listings.selectors import LISTING_NOTE_PROVIDERS
        from listings.services import REINSTATEMENT_GUARDS

        from .selectors.holds import hold_notes
        from .services.holds import guard_listings

        if guard_listings not in REINSTATEMENT_GUARDS:
            REINSTATEMENT_GUARDS.append(guard_listings)
        if hold_notes not in LISTING_NOTE_PROVIDERS:
            LISTING_NOTE_PROVIDERS.append(hold_notes)
