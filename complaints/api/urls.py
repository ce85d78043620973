from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView

from . import answers, filing, views
from .webhooks import views as webhooks

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs/", views.ApiDocs.as_view(), name="docs"),
    path("rights/", views.RightList.as_view(), name="right-list"),
    path("rights/<int:pk>/", views.RightDetail.as_view(), name="right-detail"),
    path("claims/", filing.ClaimCollection.as_view(), name="claim-list"),
    path("claims/<int:pk>/", views.ClaimDetail.as_view(), name="claim-detail"),
    path("claims/<int:pk>/submit/", filing.ClaimSubmit.as_view(), name="claim-submit"),
    path("claims/<int:pk>/withdraw/", filing.ClaimWithdraw.as_view(), name="claim-withdraw"),
    path("items/<int:pk>/withdraw/", filing.ItemWithdraw.as_view(), name="item-withdraw"),
    path("items/<int:pk>/retract/", filing.ItemRetract.as_view(), name="item-retract"),
    path("link-check/", filing.LinkCheck.as_view(), name="link-check"),
    path("seller/notices/", views.SellerNoticeList.as_view(), name="seller-notice-list"),
    path("webhooks/", webhooks.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", webhooks.WebhookRotateSecret.as_view(), name="webhook-rotate-secret"),
    path("seller/notices/<int:pk>/", answers.SellerNoticeDetail.as_view(), name="seller-notice-detail"),
    path("seller/standing/", answers.SellerStanding.as_view(), name="seller-standing"),
    path("counter-notices/", answers.CounterNoticeList.as_view(), name="counter-notice-list"),
    path("counter-notices/<int:pk>/", answers.CounterNoticeDetail.as_view(), name="counter-notice-detail"),
    path("counter-notices/<int:pk>/accept/", answers.CounterNoticeAccept.as_view(), name="counter-notice-accept"),
    path("counter-notices/<int:pk>/reject/", answers.CounterNoticeReject.as_view(), name="counter-notice-reject"),
    path("documents/", answers.DocumentUpload.as_view(), name="document-upload"),
    path("documents/<int:pk>/", answers.DocumentDetail.as_view(), name="document-detail"),
]
