from django.urls import path

from vehicles.apis import favorites, media, transport, vehicles

urlpatterns = [
    path("vehicles", vehicles.VehicleListApi.as_view(), name="api-vehicles"),
    path("vehicles/decode-vin", vehicles.DecodeVinApi.as_view(), name="api-vehicle-decode-vin"),
    path("vehicles/<int:vehicle_id>", vehicles.VehicleDetailApi.as_view(), name="api-vehicle"),
    path("vehicles/<int:vehicle_id>/submit", vehicles.VehicleSubmitApi.as_view(), name="api-vehicle-submit"),
    path(
        "vehicles/<int:vehicle_id>/draft-description",
        vehicles.DraftDescriptionApi.as_view(),
        name="api-vehicle-draft-description",
    ),
    path("vehicles/<int:vehicle_id>/uploads", media.UploadTicketApi.as_view(), name="api-vehicle-uploads"),
    path("vehicles/<int:vehicle_id>/photos", media.PhotoListApi.as_view(), name="api-vehicle-photos"),
    path("vehicles/<int:vehicle_id>/photos/order", media.PhotoOrderApi.as_view(), name="api-vehicle-photo-order"),
    path("vehicles/<int:vehicle_id>/photos/<int:photo_id>", media.PhotoDetailApi.as_view(), name="api-vehicle-photo"),
    path("vehicles/<int:vehicle_id>/documents", media.DocumentListApi.as_view(), name="api-vehicle-documents"),
    path(
        "vehicles/<int:vehicle_id>/documents/<int:document_id>",
        media.DocumentDetailApi.as_view(),
        name="api-vehicle-document",
    ),
    path("transport/quote", transport.TransportQuoteApi.as_view(), name="api-transport-quote"),
    path("favorites", favorites.FavoriteListApi.as_view(), name="api-favorites"),
    path("favorites/vehicle/<int:vehicle_id>", favorites.FavoriteVehicleApi.as_view(), name="api-favorite-vehicle"),
]
