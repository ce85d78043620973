from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from . import views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", views.ApiDocs.as_view(), name="docs"),
    path("rights/", views.RightList.as_view(), name="right-list"),
    path("rights/<int:pk>/", views.RightDetail.as_view(), name="right-detail"),
    path("claims/", views.ClaimList.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetail.as_view(), name="claim-detail"),
    path("seller/notices/", views.SellerNoticeList.as_view(), name="seller-notice-list"),
]
