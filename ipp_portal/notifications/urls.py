from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="read-all"),
    path("<int:pk>/", views.notification_detail, name="detail"),
    path("<int:pk>/open/", views.notification_open, name="open"),
]
