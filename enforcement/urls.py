from django.urls import path

from . import views

app_name = "enforcement"
urlpatterns = [
    path("", views.standing, name="standing"),
    path("actions/<int:pk>/", views.action_detail, name="action-detail"),
    path("actions/<int:pk>/appeal/", views.appeal_create, name="appeal-create"),
]
