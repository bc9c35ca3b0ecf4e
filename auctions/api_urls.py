"""Auction and bid endpoints under /api/ (both seeds' paths; each also answers with a trailing slash)."""

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path

from auctions.apis import auctions, bids


def both(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    """The documented path, and the same with a trailing slash (core.schema keeps it out of the OpenAPI schema)."""
    return [path(route, view, name=name), path(route + "/", view)]


urlpatterns: list[URLPattern] = [
    *both("auctions", auctions.AuctionListApi.as_view(), "api-auctions"),
    *both("auctions/search", auctions.AuctionSearchApi.as_view(), "api-auction-search"),
    *both("auctions/<int:auction_id>", auctions.AuctionDetailApi.as_view(), "api-auction"),
    *both("auctions/<int:auction_id>/bid", bids.AuctionBidApi.as_view(), "api-auction-bid"),
    *both("auctions/<int:auction_id>/auto-bid", bids.AuctionAutoBidApi.as_view(), "api-auction-auto-bid"),
    *both("auctions/<int:auction_id>/buy-now", auctions.AuctionBuyNowApi.as_view(), "api-auction-buy-now"),
    *both("auctions/<int:auction_id>/reserve", auctions.AuctionReserveApi.as_view(), "api-auction-reserve"),
    *both("auctions/<int:auction_id>/cancel", auctions.AuctionCancelApi.as_view(), "api-auction-cancel"),
    *both("auctions/<int:auction_id>/decision", auctions.AuctionDecisionApi.as_view(), "api-auction-decision"),
    *both("auctions/<int:auction_id>/price-preview", auctions.PricePreviewApi.as_view(), "api-auction-price-preview"),
    *both("auctions/<int:auction_id>/comments", auctions.AuctionCommentsApi.as_view(), "api-auction-comments"),
    *both("auction-comments/<int:comment_id>/hide", auctions.CommentHideApi.as_view(), "api-auction-comment-hide"),
    *both("bids/auction/<int:auction_id>", bids.AuctionBidsApi.as_view(), "api-bids-auction"),
    *both("bids/user", bids.UserBidsApi.as_view(), "api-bids-user"),
    *both("bids/<int:bid_id>", bids.BidDetailApi.as_view(), "api-bid"),
    *both("bids/<int:bid_id>/void", bids.BidVoidApi.as_view(), "api-bid-void"),
    *both("favorites/auction/<int:auction_id>", auctions.FavoriteAuctionApi.as_view(), "api-favorite-auction"),
]
