"""The seller's side of claims, under /seller/notices/: the notices page and counter-notices."""

from django.urls import path

from .views import disputes

app_name = "complaints_seller"
urlpatterns = [
    path("", disputes.seller_notices, name="seller-notices"),
    path("claims/<int:claim_id>/counter-notice/", disputes.counter_notice_new, name="counter-notice-new"),
    path("claims/<int:claim_id>/not-disputed/", disputes.not_disputed, name="not-disputed"),
]
