from django.urls import path

from . import views, views_claims, views_disputes

app_name = "complaints"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("rights/new/", views.right_create, name="right-create"),
    path("rights/<int:pk>/", views.right_detail, name="right-detail"),
    path("rights/<int:pk>/edit/", views.right_resubmit, name="right-resubmit"),
    path("rights/<int:pk>/documents/", views.right_add_documents, name="right-add-documents"),
    path("authorizations/new/", views.authorization_create, name="authorization-create"),
    path("authorizations/letter-template.txt", views.authorization_letter_template, name="letter-template"),
    path("authorizations/<int:pk>/", views.authorization_detail, name="authorization-detail"),
    path("documents/<int:pk>/", views.document_download, name="document-download"),
    path("counter-notices/", views_disputes.complainant_counter_notices, name="counter-notice-list"),
    path("counter-notices/<int:pk>/", views_disputes.counter_notice_answer, name="counter-notice-answer"),
    path("claims/", views_claims.claim_list, name="claim-list"),
    path("claims/new/", views_claims.claim_new, name="claim-new"),
    path("claims/<int:pk>/", views_claims.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/edit/", views_claims.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/receipt/", views_claims.claim_receipt, name="claim-receipt"),
    path("claims/<int:pk>/items.csv", views_claims.claim_items_csv, name="claim-items-csv"),
    path("claims/<int:pk>/withdraw/", views_claims.claim_withdraw, name="claim-withdraw"),
    path("claims/<int:pk>/items/withdraw/", views_claims.claim_item_withdraw, name="claim-item-withdraw"),
    path("claims/<int:pk>/items/retract/", views_claims.claim_item_retract, name="claim-item-retract"),
    path("claims/<int:pk>/answer/", views_claims.claim_provide_info, name="claim-provide-info"),
    path("claims/<int:pk>/delete/", views_claims.claim_draft_delete, name="claim-draft-delete"),
]
