"""Response serializers of the auctions API: the OpenAPI description of the dicts the selectors build
(auctions.state.public_state / viewer_state, auctions.selectors.vehicle_summary / auction_detail / bid_public,
auctions.services.comments.comment_payload). Money is a string with two decimals; times are ISO 8601."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


def _money(**kwargs: object) -> serializers.CharField:
    return serializers.CharField(help_text="US dollars with two decimals, e.g. 5250.00", **kwargs)  # type: ignore[arg-type]


class AuctionVehicleOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    make = serializers.CharField()
    model = serializers.CharField()
    trim = serializers.CharField()
    mileage = serializers.IntegerField(allow_null=True)
    city = serializers.CharField()
    state = serializers.CharField()
    photo_url = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text="The vehicle's page, a site path")


class AuctionStateOutput(serializers.Serializer):  # type: ignore[type-arg]
    """An auction's state as everyone may see it (auctions.state.public_state)."""

    auction_id = serializers.IntegerField()
    vehicle_id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="The bid sequence: a client that sees a gap refetches")
    version = serializers.IntegerField()
    status = serializers.CharField(help_text="scheduled, live, ended or cancelled")
    status_label = serializers.CharField()
    outcome = serializers.CharField()
    price = _money(allow_null=True)
    current_price = _money(allow_null=True)
    starting_price = _money(allow_null=True)
    minimum_next_bid = _money(allow_null=True)
    confirm_above = _money(allow_null=True)
    bid_count = serializers.IntegerField()
    bidder_count = serializers.IntegerField()
    leader_alias = serializers.CharField(allow_null=True)
    reserve_status = serializers.CharField()
    reserve_label = serializers.CharField()
    price_caption = serializers.CharField(
        help_text='The words above the price for everyone: "Starting bid", "Current bid", "High bid", "Sold for", '
        '"Sold — bought now" (the viewer\'s own, e.g. "Winning bid", is viewer.price_caption)'
    )
    buy_now_available = serializers.BooleanField()
    buy_now_price = _money(allow_null=True)
    starts_at = serializers.CharField(allow_null=True)
    ends_at = serializers.CharField(allow_null=True)
    extended_count = serializers.IntegerField()
    extended_label = serializers.CharField(allow_null=True, help_text='"Extended ×2" once extended; null before')
    winner_alias = serializers.CharField(allow_null=True)
    final_price = _money(allow_null=True)
    seller_decision = serializers.CharField()
    decision_deadline = serializers.CharField(allow_null=True)


class AuctionCardOutput(AuctionStateOutput):
    """An auction's public state with its id and vehicle (auctions.selectors.auction_card)."""

    id = serializers.IntegerField()
    vehicle = AuctionVehicleOutput()


class AuctionViewerOutput(serializers.Serializer):  # type: ignore[type-arg]
    my_status = serializers.CharField(help_text="anonymous, seller, not_bid, leading, outbid, won, lost, high_bidder")
    my_status_label = serializers.CharField()
    my_max = _money(allow_null=True)
    is_seller = serializers.BooleanField()
    outcome_message = serializers.CharField(
        allow_null=True, help_text='The close in words for this viewer ("You won at $X."); null while open'
    )
    price_caption = serializers.CharField(
        help_text='The words above the price for this viewer ("Winning bid" for the winner)'
    )


class AuctionDetailOutput(AuctionCardOutput):
    viewer = AuctionViewerOutput()
    watchers = serializers.IntegerField()
    soft_close_window_seconds = serializers.IntegerField()
    soft_close_extension_seconds = serializers.IntegerField()
    cancel_reason = serializers.CharField()


class AuctionCancelledOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["cancelled"])


class CommentOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    auction_id = serializers.IntegerField()
    parent_id = serializers.IntegerField(allow_null=True)
    author = serializers.CharField(help_text="Empty when hidden")
    is_seller = serializers.BooleanField()
    body = serializers.CharField(help_text="Empty when hidden")
    hidden = serializers.BooleanField()
    created_at = serializers.CharField()


@extend_schema_serializer(component_name="AuctionPricePreview")
class PricePreviewOutput(serializers.Serializer):  # type: ignore[type-arg]
    auction_id = serializers.IntegerField()
    max = _money()
    vehicle_price = _money()
    buyer_fee = _money()
    documentation_fee = _money()
    title_fee = _money()
    sales_tax_rate = serializers.CharField()
    sales_tax = _money()
    total = _money()
    buyer_state = serializers.CharField()
    tax_collected = serializers.BooleanField()
    transport_fee = _money()
    delivery_zip = serializers.CharField()
    total_with_delivery = _money()
    confirm_required = serializers.BooleanField()


class FavoriteAuctionOutput(serializers.Serializer):  # type: ignore[type-arg]
    auction_id = serializers.IntegerField()
    vehicle_id = serializers.IntegerField()
    is_favorite = serializers.BooleanField()


class BidderOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField()


class BidOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A bid as this viewer may see it (auctions.selectors.bid_public): the max for its bidder and staff, the
    name for the seller and staff, the request's origin for staff."""

    id = serializers.IntegerField()
    auction_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    bidder_alias = serializers.CharField()
    price = _money(allow_null=True)
    placed_at = serializers.CharField(allow_null=True)
    voided = serializers.BooleanField()
    mine = serializers.BooleanField()
    raised_own_max = serializers.BooleanField(help_text="The leader raising their own max (the price did not move)")
    max_amount = _money(required=False, allow_null=True)
    leading_after = serializers.BooleanField(required=False)
    bidder = BidderOutput(required=False)
    ip_address = serializers.CharField(required=False, allow_null=True)
    user_agent = serializers.CharField(required=False)
    void_reason = serializers.CharField(required=False)


class MyBidAuctionOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    status = serializers.CharField()
    vehicle = serializers.CharField(help_text="The vehicle's title")
    my_status = serializers.CharField()


class MyBidOutput(BidOutput):
    auction = MyBidAuctionOutput()


class PlacedBidOutput(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    auction_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    max_amount = _money()
    resulting_price = _money()
    placed_at = serializers.CharField()
    bidder_alias = serializers.CharField()


class BidResultOutput(serializers.Serializer):  # type: ignore[type-arg]
    """A placed bid's answer (auctions.services.results.BidResult.as_dict), also replayed for its Idempotency-Key."""

    bid = PlacedBidOutput()
    result = serializers.ChoiceField(choices=["leading", "outbid"])
    leading = serializers.BooleanField()
    extended = serializers.BooleanField(help_text="The bid came in the soft-close window and moved the end")
    auction = AuctionStateOutput()


class ProfileBidOutput(AuctionCardOutput):
    """An auction a member bid on, on their own profile (auctions.selectors.user_bids): never their max."""

    bidder_alias = serializers.CharField()
    last_bid_at = serializers.CharField(allow_null=True)
