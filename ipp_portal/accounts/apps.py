from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ipp_portal.accounts"
    label = "accounts"
    verbose_name = "Accounts"
