from django.urls import path

from offers import views

app_name = "offers"
urlpatterns = [
    path("how-offers-work/", views.how_offers_work, name="how"),
    path("offers/", views.my_offers, name="mine"),
    path("offers/<int:thread_id>/", views.thread_page, name="thread"),
    path("offers/<int:thread_id>/live/", views.thread_fragment, name="thread-live"),
    path("offers/<int:thread_id>/<str:action>/", views.thread_action, name="action"),
    path("offers/panel/<int:vehicle_id>/", views.panel_fragment, name="panel"),
    path("vehicles/<int:vehicle_id>/offer/", views.offer_page, name="make"),
    path("sell/offers/", views.seller_inbox, name="inbox"),
    path("sell/offers/vehicle/<int:vehicle_id>/", views.seller_inbox, name="vehicle-inbox"),
    path("sell/offers/vehicle/<int:vehicle_id>/rules/", views.rules_submit, name="rules"),
    path("auctions/<int:auction_id>/counter/", views.reserve_counter_submit, name="reserve-counter"),
    path("auctions/<int:auction_id>/best-offer/", views.best_offer_submit, name="best-offer"),
]
