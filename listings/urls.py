from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "listings"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="listings:listing-list"), name="seller-home"),
    path("stores/new/", views.store_create, name="store-create"),
    path("listings/", views.listing_list, name="listing-list"),
    path("listings/new/", views.listing_create, name="listing-create"),
    path("listings/<int:pk>/edit/", views.listing_edit, name="listing-edit"),
    path("listings/<int:pk>/delist/", views.listing_delist, name="listing-delist"),
]
