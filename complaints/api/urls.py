from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from . import answers, views

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("rights/", views.RightList.as_view(), name="right-list"),
    path("rights/<int:pk>/", views.RightDetail.as_view(), name="right-detail"),
    path("claims/", views.ClaimList.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetail.as_view(), name="claim-detail"),
    path("seller/notices/", views.SellerNoticeList.as_view(), name="seller-notice-list"),
    path("seller/notices/<int:pk>/", answers.SellerNoticeDetail.as_view(), name="seller-notice-detail"),
    path("seller/standing/", answers.SellerStanding.as_view(), name="seller-standing"),
    path("counter-notices/", answers.CounterNoticeList.as_view(), name="counter-notice-list"),
    path("counter-notices/<int:pk>/", answers.CounterNoticeDetail.as_view(), name="counter-notice-detail"),
    path("counter-notices/<int:pk>/accept/", answers.CounterNoticeAccept.as_view(), name="counter-notice-accept"),
    path("counter-notices/<int:pk>/reject/", answers.CounterNoticeReject.as_view(), name="counter-notice-reject"),
    path("documents/", answers.DocumentUpload.as_view(), name="document-upload"),
    path("documents/<int:pk>/", answers.DocumentDetail.as_view(), name="document-detail"),
]
