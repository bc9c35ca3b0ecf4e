from django.urls import path

from vehicles.views import public, results, saved, seller, uploads

app_name = "vehicles"
urlpatterns = [
    path("vehicles/", public.inventory, name="inventory"),
    path("vehicles/<int:vehicle_id>/", public.vehicle_detail, name="detail"),
    path(
        "vehicles/<int:vehicle_id>/documents/<int:document_id>/",
        public.document_download,
        name="document",
    ),
    path("vehicles/uploads/local/", uploads.local_upload, name="local-upload"),
    path("watchlist/", public.watchlist_page, name="watchlist"),
    path("saved-searches/", saved.saved_search_list, name="saved-searches"),
    path("saved-searches/save/", saved.saved_search_save, name="saved-search-save"),
    path("saved-searches/<int:search_id>/", saved.saved_search_change, name="saved-search-change"),
    path("results/", results.results, name="results"),
    path("sell/", seller.sell_home, name="sell"),
    path("sell/vehicles/new/", seller.vehicle_new, name="sell-new"),
    path("sell/vehicles/<int:vehicle_id>/submit/", seller.vehicle_submit, name="sell-submit"),
    path("sell/vehicles/<int:vehicle_id>/remove/", seller.vehicle_remove, name="sell-remove"),
    path("sell/vehicles/<int:vehicle_id>/<slug:step>/", seller.vehicle_step, name="sell-step"),
]
