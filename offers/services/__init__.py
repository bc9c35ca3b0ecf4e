"""Writes for the offers domain: every change to an offer thread goes through one of these functions.

threads.py (a buyer's offer and its answers), after_auction.py (the seller's counter to the high bid, the high
bidder's best offer, the second chance), sweeps.py (expiry and the other endings, reminders), rules_update.py
(the seller's hidden auto rules). Locks: locking.py; after-commit work: effects.py.
"""

from offers.services.after_auction import offer_best_offer, offer_counter_high_bid, offer_second_chance
from offers.services.rules_update import offer_rules_update
from offers.services.sweeps import offer_thread_settle, offers_expire_due, offers_remind_due, offers_settle_due
from offers.services.threads import (
    OfferResult,
    offer_accept,
    offer_counter,
    offer_decline,
    offer_make,
    offer_mark_shown,
    offer_staff_withdraw,
    offer_withdraw,
)

__all__ = [
    "OfferResult",
    "offer_accept",
    "offer_best_offer",
    "offer_counter",
    "offer_counter_high_bid",
    "offer_decline",
    "offer_make",
    "offer_mark_shown",
    "offer_rules_update",
    "offer_second_chance",
    "offer_staff_withdraw",
    "offer_thread_settle",
    "offer_withdraw",
    "offers_expire_due",
    "offers_remind_due",
    "offers_settle_due",
]
