"""IPP Portal: the project package and the platform pieces every app uses."""

from .celery import app as celery_app

__all__ = ["celery_app"]
