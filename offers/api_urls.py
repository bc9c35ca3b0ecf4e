from django.urls import path

from offers import apis

urlpatterns = [
    path("offers", apis.OfferListApi.as_view(), name="api-offers"),
    path("offers/price-preview", apis.PricePreviewApi.as_view(), name="api-offer-price-preview"),
    path("offers/<int:thread_id>", apis.OfferDetailApi.as_view(), name="api-offer"),
    path("offers/<int:thread_id>/accept", apis.OfferAcceptApi.as_view(), name="api-offer-accept"),
    path("offers/<int:thread_id>/decline", apis.OfferDeclineApi.as_view(), name="api-offer-decline"),
    path("offers/<int:thread_id>/counter", apis.OfferCounterApi.as_view(), name="api-offer-counter"),
    path("offers/<int:thread_id>/withdraw", apis.OfferWithdrawApi.as_view(), name="api-offer-withdraw"),
    path("vehicles/<int:vehicle_id>/offers", apis.OfferMakeApi.as_view(), name="api-vehicle-offers"),
    path("auctions/<int:auction_id>/counter-offer", apis.ReserveCounterApi.as_view(), name="api-auction-counter-offer"),
    path("auctions/<int:auction_id>/best-offer", apis.BestOfferApi.as_view(), name="api-auction-best-offer"),
]
