from django.contrib import admin
from django.urls import include, path

from . import views
from .accounts.forms import AdminLoginForm

admin.site.login_form = AdminLoginForm  # the staff sign-in has the portal's limits and lockout
admin.site.site_header = "IPP Portal — staff"
admin.site.site_title = "IPP Portal staff"
admin.site.index_title = "Review and verification"

urlpatterns = [
    path("", include("listings.urls_home")),
    path("healthz", views.healthz, name="healthz"),
    path("ping", views.ping, name="ping"),
    path("accounts/api-tokens/", include("complaints.api.urls_pages")),
    path("accounts/webhooks/", include("complaints.api.webhooks.urls_pages")),
    path("accounts/", include("ipp_portal.accounts.urls")),
    path("api/v1/", include("complaints.api.urls")),
    path("inbox/", include("ipp_portal.notifications.urls")),
    path("policy/", include("enforcement.urls_policy")),
    path("seller/standing/", include("enforcement.urls")),
    path("seller/notices/", include("complaints.urls_seller")),
    path("seller/", include("listings.urls")),
    path("rights/", include("complaints.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "ipp_portal.views.bad_request"
handler403 = "ipp_portal.views.permission_denied"
handler404 = "ipp_portal.views.page_not_found"
# The API answers its server errors in its error shape; pages get the 500 page.
handler500 = "complaints.api.errors.server_error"
