from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ipp_portal.audit"
    label = "audit"
    verbose_name = "Audit trail"
