from django.urls import path

from .views import allowlist, claims, disputes, redress, vault

app_name = "complaints"
urlpatterns = [
    path("", vault.home, name="home"),
    path("profile/", vault.profile, name="profile"),
    path("rights/new/", vault.right_create, name="right-create"),
    path("rights/<int:pk>/", vault.right_detail, name="right-detail"),
    path("rights/<int:pk>/edit/", vault.right_resubmit, name="right-resubmit"),
    path("rights/<int:pk>/documents/", vault.right_add_documents, name="right-add-documents"),
    path("rights/<int:pk>/resellers/new/", allowlist.authorised_seller_new, name="authorised-seller-new"),
    path(
        "rights/<int:pk>/resellers/<int:entry_pk>/end/", allowlist.authorised_seller_end, name="authorised-seller-end"
    ),
    path("authorizations/new/", vault.authorization_create, name="authorization-create"),
    path("authorizations/letter-template.txt", vault.authorization_letter_template, name="letter-template"),
    path("authorizations/<int:pk>/", vault.authorization_detail, name="authorization-detail"),
    path("documents/<int:pk>/", vault.document_download, name="document-download"),
    path("counter-notices/", disputes.complainant_counter_notices, name="counter-notice-list"),
    path("counter-notices/<int:pk>/", disputes.counter_notice_answer, name="counter-notice-answer"),
    path("claims/", claims.claim_list, name="claim-list"),
    path("claims/new/", claims.claim_new, name="claim-new"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim-detail"),
    path("claims/<int:pk>/edit/", claims.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/receipt/", claims.claim_receipt, name="claim-receipt"),
    path("claims/<int:pk>/items.csv", claims.claim_items_csv, name="claim-items-csv"),
    path("claims/<int:pk>/withdraw/", claims.claim_withdraw, name="claim-withdraw"),
    path("claims/<int:pk>/items/withdraw/", claims.claim_item_withdraw, name="claim-item-withdraw"),
    path("claims/<int:pk>/items/retract/", claims.claim_item_retract, name="claim-item-retract"),
    path("claims/<int:pk>/answer/", claims.claim_provide_info, name="claim-provide-info"),
    path("claims/<int:pk>/delete/", claims.claim_draft_delete, name="claim-draft-delete"),
    path("claims/<int:pk>/appeal/", redress.claim_appeal, name="claim-appeal"),
    path("sanctions/<int:pk>/", redress.sanction_detail, name="sanction-detail"),
    path("sanctions/<int:pk>/appeal/", redress.sanction_appeal, name="sanction-appeal"),
]
