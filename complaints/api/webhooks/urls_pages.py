from django.urls import path

from . import pages

app_name = "webhooks"
urlpatterns = [
    path("", pages.endpoint_list, name="list"),
    path("<int:pk>/", pages.endpoint_detail, name="detail"),
    path("<int:pk>/rotate-secret/", pages.endpoint_rotate, name="rotate"),
    path("<int:pk>/delete/", pages.endpoint_delete, name="delete"),
    path("<int:pk>/disable/", pages.endpoint_switch, {"enable": False}, name="disable"),
    path("<int:pk>/enable/", pages.endpoint_switch, {"enable": True}, name="enable"),
    path("<int:pk>/deliveries/<int:delivery_pk>/redeliver/", pages.delivery_redeliver, name="redeliver"),
]
