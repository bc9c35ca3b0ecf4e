from django.urls import path

from auctions import views

app_name = "auctions"
urlpatterns = [
    path("auctions/", views.live_auctions, name="live"),
    path("auctions/mine/", views.my_bids, name="my-bids"),
    path("account/bids/", views.my_bids),
    path("auctions/<int:auction_id>/", views.auction_room, name="room"),
    path("auctions/<int:auction_id>/bid/", views.bid_submit, name="bid"),
    path("auctions/<int:auction_id>/buy-now/", views.buy_now_submit, name="buy-now"),
    path("auctions/<int:auction_id>/comment/", views.comment_submit, name="comment"),
    path("auctions/<int:auction_id>/decision/", views.decision_submit, name="decision"),
    path("auctions/<int:auction_id>/reserve/", views.reserve_submit, name="reserve"),
    path("auctions/<int:auction_id>/cancel/", views.cancel_submit, name="cancel"),
    path("sell/auctions/", views.seller_auctions, name="seller"),
    path("sell/vehicles/<int:vehicle_id>/auction/new/", views.schedule_auction, name="schedule"),
    path("how-bidding-works/", views.how_bidding_works, name="how"),
]
