from django.urls import path

from . import views_policy

app_name = "policy"
urlpatterns = [
    path("", views_policy.policy_text_page, name="text"),
    path("<slug:code>/", views_policy.site_rules, name="site"),
    path("<slug:code>/v<int:version>/", views_policy.site_rules, name="version"),
]
