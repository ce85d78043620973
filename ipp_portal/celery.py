"""The Celery application; tasks are discovered in every installed app's ``tasks`` module."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipp_portal.settings")

app = Celery("ipp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def use_broker(url: str) -> None:
    """Point the app at another broker and forget the pooled connections and producers of the old one, as Celery
    itself does after a fork: the next publish connects to ``url``. For tests that run a broker of their own."""
    app.conf.broker_url = url
    app._after_fork()
