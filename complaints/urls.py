from django.urls import path

from . import views

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
]
