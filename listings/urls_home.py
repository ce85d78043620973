"""The front page (its names stay global: every page links to "home")."""

from django.urls import path

from . import views

urlpatterns = [path("", views.home, name="home")]
