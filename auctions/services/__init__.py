"""Writes for the auctions domain: every change to an auction goes through one of these functions.

`bid_place` is the hot path (see bidding.py); closing is in closing.py; everything that reaches
outside the transaction (broadcasts, notifications, the inventory snapshot) is in after_commit.py.
"""

from auctions.services.bidding import (
    BidRejected,
    BidResult,
    bid_place,
    bid_place_async,
    check_eligible,
    parse_bid_amount,
)
from auctions.services.changes import auction_buy_now, auction_lower_reserve
from auctions.services.closing import (
    auction_close,
    auction_close_due,
    auction_decision_expire,
    auction_expire_decisions,
    auction_seller_decide,
)
from auctions.services.comments import comment_hide, comment_post
from auctions.services.lifecycle import (
    AuctionTermsInput,
    auction_cancel,
    auction_schedule,
    auction_start,
    auction_start_due,
    auction_update,
)
from auctions.services.voiding import bid_void, ineligible_bids_void_sweep, void_bids_of_ineligible_user

__all__ = [
    "AuctionTermsInput",
    "BidRejected",
    "BidResult",
    "auction_buy_now",
    "auction_cancel",
    "auction_close",
    "auction_close_due",
    "auction_decision_expire",
    "auction_expire_decisions",
    "auction_lower_reserve",
    "auction_schedule",
    "auction_seller_decide",
    "auction_start",
    "auction_start_due",
    "auction_update",
    "bid_place",
    "bid_place_async",
    "bid_void",
    "check_eligible",
    "comment_hide",
    "comment_post",
    "ineligible_bids_void_sweep",
    "parse_bid_amount",
    "void_bids_of_ineligible_user",
]
