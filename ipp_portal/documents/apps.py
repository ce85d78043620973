from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "ipp_portal.documents"
    label = "documents"
    verbose_name = "Documents"
