"""The one registry of notification kinds: what each says, on which channels, and whether it may be muted.

Templates are Django template strings rendered as plain text (pages and the HTML email escape them later).
Every context value is optional: each template falls back to neutral words when a key is missing.
Filters available without `{% load %}`: `usd` ("12500" -> "$12,500.00"), `when` (ISO time -> Central time), `words` ("picked_up" -> "picked up").
Every kind's context may also carry "url" (site path or absolute URL) for the in-app link and email button.
"""

from dataclasses import dataclass, field

IN_APP = "in_app"
EMAIL = "email"
CHANNELS = (IN_APP, EMAIL)

CATEGORIES = {
    "general": "General",
    "account": "Your account",
    "selling": "Selling",
    "bidding": "Bidding",
    "offers": "Offers",
    "orders": "Orders and payments",
    "delivery": "Title and delivery",
    "staff": "Staff alerts",
    "alerts": "Saved searches and watchlist",
}


@dataclass(frozen=True)
class Kind:
    name: str
    category: str
    title: str  # in-app title; also the email subject unless email_subject is set
    body: str  # in-app text; also the email's message unless email_body is set
    keys: tuple[str, ...] = ()  # context keys the templates use (besides "url")
    action: str = "View details"  # label of the email button / link to context["url"]
    email_subject: str = ""
    email_body: str = ""
    in_app: bool = True  # default for the in-app channel
    email: bool = True  # default for the email channel
    optional: bool = True  # False: security, account and payment notices the user may not turn off
    channels: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(c for c in CHANNELS if getattr(self, c)))

    @property
    def label(self) -> str:
        """What the preferences page calls this kind."""
        return LABELS.get(self.name) or self.name.replace("_", " ").capitalize()

    def default_for(self, channel: str) -> bool:
        return bool(getattr(self, channel))


LABELS = {
    "welcome": "Welcome messages",
    "seller_application_approved": "Seller application approved",
    "seller_application_rejected": "Seller application not approved",
    "identity_verification_result": "Identity verification result",
    "card_validated": "Card validated",
    "account_suspended": "Account suspended",
    "vehicle_approved": "Listing approved",
    "vehicle_rejected": "Listing needs changes",
    "auction_ended_seller": "Your auction ended",
    "reserve_not_met_decision": "Reserve not met: your decision",
    "new_comment": "New comment on your listing",
    "outbid": "You were outbid",
    "auction_won": "You won an auction",
    "auction_lost": "An auction you bid on sold to someone else",
    "auction_ending_soon": "Auction ending soon",
    "bid_voided": "Your bid was voided",
    "offer_received": "Offer received",
    "offer_countered": "Counter-offer received",
    "offer_accepted": "Offer accepted",
    "offer_declined": "Offer declined",
    "offer_expired": "Offer expired",
    "offer_reminder": "Offer expiring in 12 hours",
    "offer_withdrawn": "Offer withdrawn",
    "offer_ended": "Offer ended (auction started or sold)",
    "offer_second_chance": "Second-chance offer",
    "invoice_issued": "Invoice issued",
    "payment_received": "Payment received",
    "payment_failed": "Payment failed",
    "payment_overdue": "Payment overdue",
    "refund_issued": "Refund issued",
    "title_status": "Title transfer updates",
    "transport_status": "Delivery updates",
    "staff_alert": "Staff alerts",
    "delivery_choice_needed": "Pickup code and delivery choice",
    "title_documents_requested": "Title documents needed (selling)",
    "title_documents_reminder": "Title document reminders (selling)",
    "title_documents_late": "Title documents overdue (selling)",
    "title_documents_rejected": "Title documents need changes (selling)",
    "storage_charged": "Storage charges",
    "pickup_reminder": "Free pickup ending",
    "storage_waived": "Storage waived",
    "pickup_code_locked": "Pickup code locked",
    "order_completed": "Sale completed",
    "proceeds_released": "Proceeds released (selling)",
    "proceeds_changed": "Proceeds changed (selling)",
    "payout_sent": "Payout sent (selling)",
    "claim_opened": "Claim opened on an order",
    "claim_answered": "The seller answered your claim",
    "claim_message": "New message on a claim",
    "claim_seller_late": "A claim went to staff without the seller's answer",
    "claim_decided": "Claim decided",
    "claim_return_sent": "The vehicle of a refunded claim is on its way back",
    "claim_returned": "The vehicle of a refunded claim is back with the seller",
    "claim_return_late": "The return of a vehicle is late",
    # finding (issue 20): saved-search and watchlist alerts
    "saved_search_match": "A new vehicle matches a saved search",
    "saved_search_digest": "Daily digest of a saved search",
    "watched_auction_started": "Bidding opened on a vehicle you watch",
    "watched_auction_changed": "Buy-now price or reserve changed on a vehicle you watch",
    "watched_relisted": "A vehicle you watch was relisted",
    "losing_final_minutes": "You are no longer leading and 5 minutes are left",
}

VEHICLE = "{{ vehicle|default:'your vehicle' }}"
THE_VEHICLE = "{{ vehicle|default:'the vehicle' }}"
ORDER = "{% if order_number %}order {{ order_number }}{% else %}your order{% endif %}"
ORDER_CAP = "{% if order_number %}Order {{ order_number }}{% else %}Your order{% endif %}"
CLAIM = "{% if claim %}claim {{ claim }}{% else %}a claim{% endif %}"
CLAIM_CAP = "{% if claim %}Claim {{ claim }}{% else %}A claim{% endif %}"
REASON = "{% if reason %} Reason: {{ reason }}{% if reason|slice:'-1:' not in '.!?' %}.{% endif %}{% endif %}"

_KINDS = [
    # --- general -------------------------------------------------------------------------------
    Kind(
        "welcome",
        "general",
        "Welcome to {{ site_name|default:'North Star Auto Auctions' }}",
        "{{ message|default:'Your notifications appear here: outbids, wins, offers and order updates.' }}",
        keys=("message",),
        email=False,
    ),
    # --- account (not optional: decisions about the account itself) --------------------------
    Kind(
        "seller_application_approved",
        "account",
        "Your seller application was approved",
        "You can now list vehicles for sale.",
        action="Start selling",
        optional=False,
    ),
    Kind(
        "seller_application_rejected",
        "account",
        "Your seller application was not approved",
        "We could not approve your seller application." + REASON,
        keys=("reason",),
        optional=False,
    ),
    Kind(
        "identity_verification_result",
        "account",
        "Identity verification: {% if status_label %}{{ status_label }}{% else %}{{ status|words|default:'updated' }}{% endif %}",
        "{% if status == 'approved' %}Your identity is verified.{% elif status == 'declined' or status == 'failed' %}"
        "We could not verify your identity. You can try again from your account."
        "{% elif status == 'needs_review' or status == 'pending' or not status %}"
        "Your identity check is being reviewed. We will tell you when it is done."
        "{% elif status == 'expired' %}Your identity check expired before it was finished. You can start again from "
        "your account.{% else %}Your identity check status: {{ status|words }}.{% endif %}",
        keys=("status", "status_label"),
        action="Open your account",
        optional=False,
    ),
    Kind(
        "card_validated",
        "account",
        "Your card was validated",
        "{{ card|default:'Your card' }} is on file and ready for bidding and payments.",
        keys=("card",),
        optional=False,
    ),
    Kind(
        "account_suspended",
        "account",
        "Your account has been suspended",
        "Bidding and offers are paused on your account."
        + REASON
        + " Contact our staff if you think this is a mistake.",
        keys=("reason",),
        optional=False,
    ),
    # --- selling -------------------------------------------------------------------------------
    Kind(
        "vehicle_approved",
        "selling",
        "{{ vehicle|default:'Your vehicle'|capfirst }} was approved",
        "Your listing for " + VEHICLE + " is approved and can go to auction.",
        keys=("vehicle",),
        action="View listing",
    ),
    Kind(
        "vehicle_rejected",
        "selling",
        "{{ vehicle|default:'Your vehicle'|capfirst }} needs changes",
        "Your listing for " + VEHICLE + " was not approved." + REASON,
        keys=("vehicle", "reason"),
        action="Edit listing",
    ),
    Kind(
        "auction_ended_seller",
        "selling",
        "Auction ended: " + VEHICLE,
        "The auction for " + VEHICLE + " has ended"
        "{% if outcome == 'sold' %} and sold{% if price %} for {{ price|usd }}{% endif %}."
        "{% elif outcome == 'reserve_not_met' %}; the reserve was not met{% if price %} (high bid {{ price|usd }}){% endif %}."
        "{% elif outcome == 'no_bids' %} with no bids.{% elif outcome %}: {{ outcome|words }}.{% else %}.{% endif %}",
        keys=("vehicle", "outcome", "price"),
        action="View auction",
    ),
    Kind(
        "reserve_not_met_decision",
        "selling",
        "Reserve not met on " + VEHICLE + ": your decision",
        "The high bid is {{ high_bid|usd|default:'below your reserve' }}. Accept it or make a counter-offer"
        "{% if decide_by %} by {{ decide_by|when }}{% else %} within 24 hours{% endif %}, or the vehicle ends unsold.",
        keys=("vehicle", "high_bid", "decide_by"),
        action="Decide now",
        optional=False,
    ),
    Kind(
        "new_comment",
        "selling",
        "New comment on " + VEHICLE,
        "{{ author|default:'Someone' }} commented on " + VEHICLE + ".",
        keys=("vehicle", "auction_url", "author"),
        action="Read the comment",
    ),
    # --- bidding -------------------------------------------------------------------------------
    Kind(
        "outbid",
        "bidding",
        "You've been outbid{% if vehicle %} on {{ vehicle }}{% endif %}",
        "{% if current_price %}The current price is {{ current_price|usd }}.{% else %}Another bidder is ahead.{% endif %}"
        "{% if your_max %} Your maximum was {{ your_max|usd }}.{% endif %} Bid again to stay in the running.",
        keys=("vehicle", "auction_url", "current_price", "your_max"),
        action="Bid again",
    ),
    Kind(
        "auction_won",
        "bidding",
        "You won {% if vehicle %}{{ vehicle }}{% else %}an auction{% endif %}",
        "Congratulations! You won " + THE_VEHICLE + "{% if price %} for {{ price|usd }}{% endif %}."
        " Please pay within 3 business days.",
        keys=("vehicle", "price", "order_url"),
        action="View your order",
        optional=False,
    ),
    Kind(
        "auction_lost",
        "bidding",
        "{% if vehicle %}Auction ended: {{ vehicle }}{% else %}An auction you bid on has ended{% endif %}",
        "{{ vehicle|default:'The vehicle' }} sold to another bidder"
        "{% if price %} for {{ price|usd }}{% endif %}. Better luck next time.",
        keys=("vehicle", "price"),
        action="Find similar vehicles",
    ),
    Kind(
        "auction_ending_soon",
        "bidding",
        "{{ vehicle|default:'An auction you follow' }} is ending soon",
        "Bidding closes {% if ends_at %}at {{ ends_at|when }}{% else %}soon{% endif %}.",
        keys=("vehicle", "auction_url", "ends_at"),
        action="Go to the auction",
    ),
    Kind(
        "bid_voided",
        "bidding",
        "Your bid on " + THE_VEHICLE + " was voided",
        "Staff voided your bid on " + THE_VEHICLE + "." + REASON,
        keys=("vehicle", "reason", "auction_url"),
        action="Go to the auction",
        optional=False,
    ),
    # --- offers (context keys: vehicle, amount, expires = ISO time the amount expires, reason) -----
    Kind(
        "offer_received",
        "offers",
        "New offer on " + VEHICLE,
        "{{ buyer|default:'A buyer' }} made an offer{% if amount %} of {{ amount|usd }}{% endif %} on "
        + VEHICLE
        + ". Accept, decline or counter{% if expires %} by {{ expires|when }}{% else %} within 48 hours{% endif %}.",
        keys=("vehicle", "amount", "buyer", "expires"),
        action="Respond to the offer",
    ),
    Kind(
        "offer_countered",
        "offers",
        "Counter-offer on " + THE_VEHICLE,
        "{{ who|default:'The other side' }} countered{% if amount %} with {{ amount|usd }}{% endif %} on "
        + THE_VEHICLE
        + ". Answer{% if expires %} by {{ expires|when }}{% else %} within 48 hours{% endif %}.",
        keys=("vehicle", "amount", "who", "expires"),
        action="Respond to the offer",
    ),
    Kind(
        "offer_accepted",
        "offers",
        "Offer accepted on " + THE_VEHICLE,
        "The offer{% if amount %} of {{ amount|usd }}{% endif %} on "
        + THE_VEHICLE
        + " was accepted. The sale is binding and an order has been created.",
        keys=("vehicle", "amount"),
        action="View the order",
        optional=False,
    ),
    Kind(
        "offer_declined",
        "offers",
        "Offer declined on " + THE_VEHICLE,
        "{% if message %}{{ message }}{% else %}The offer{% if amount %} of {{ amount|usd }}{% endif %} on "
        + THE_VEHICLE
        + " was declined.{% endif %}",
        keys=("vehicle", "amount", "message"),
    ),
    Kind(
        "offer_expired",
        "offers",
        "Offer expired on " + THE_VEHICLE,
        "The offer{% if amount %} of {{ amount|usd }}{% endif %} on " + THE_VEHICLE + " expired without an answer.",
        keys=("vehicle", "amount"),
    ),
    Kind(
        "offer_reminder",
        "offers",
        "12 hours left to answer on " + THE_VEHICLE,
        "The offer{% if amount %} of {{ amount|usd }}{% endif %} on "
        + THE_VEHICLE
        + " expires{% if expires %} at {{ expires|when }}{% else %} in 12 hours{% endif %}. Accept, decline or counter"
        " before then.",
        keys=("vehicle", "amount", "expires"),
        action="Respond to the offer",
    ),
    Kind(
        "offer_withdrawn",
        "offers",
        "Offer withdrawn on " + THE_VEHICLE,
        "The offer{% if amount %} of {{ amount|usd }}{% endif %} on " + THE_VEHICLE + " was withdrawn." + REASON,
        keys=("vehicle", "amount", "reason"),
    ),
    Kind(
        "offer_ended",
        "offers",
        "Your offer on " + THE_VEHICLE + " has ended",
        "{% if reason == 'auction_started' %}The auction for " + THE_VEHICLE + " has started, so offers are closed."
        " Bid in the auction instead.{% elif reason == 'sold_to_another' %}{{ vehicle|default:'The vehicle' }}"
        " was sold to another buyer.{% else %}Your offer on " + THE_VEHICLE + " has ended.{% endif %}",
        keys=("vehicle", "reason"),
        action="See the vehicle",
    ),
    Kind(
        "offer_second_chance",
        "offers",
        "Second chance: " + THE_VEHICLE + " is offered to you",
        "The winning bidder did not pay. The seller offers you " + THE_VEHICLE + "{% if amount %} at your max bid of "
        "{{ amount|usd }}{% endif %}. Accept{% if expires %} by {{ expires|when }}{% else %} within 48 hours{% endif %}"
        " to buy it.",
        keys=("vehicle", "amount", "expires"),
        action="See the offer",
    ),
    # --- orders and payments (not optional) ------------------------------------------------------
    Kind(
        "invoice_issued",
        "orders",
        "Invoice for " + ORDER,
        "Your invoice{% if total %} for {{ total|usd }}{% endif %} is ready."
        "{% if due_date %} Payment is due by {{ due_date|when }}.{% endif %}",
        keys=("order_number", "total", "due_date"),
        action="View and pay",
        optional=False,
    ),
    Kind(
        "payment_received",
        "orders",
        "Payment received for " + ORDER,
        "We received your payment{% if amount %} of {{ amount|usd }}{% endif %}. Thank you!",
        keys=("order_number", "amount"),
        action="View the order",
        optional=False,
    ),
    Kind(
        "payment_failed",
        "orders",
        "Payment failed for " + ORDER,
        "Your payment could not be completed." + REASON + " Please update your card and try again.",
        keys=("order_number", "reason"),
        action="Pay now",
        optional=False,
    ),
    Kind(
        "payment_overdue",
        "orders",
        "Payment overdue for " + ORDER,
        ORDER_CAP + " is past due.{% if late_fee %} A late fee of {{ late_fee|usd }} has been added.{% endif %}"
        " Please pay as soon as possible to avoid cancellation.",
        keys=("order_number", "late_fee"),
        action="Pay now",
        optional=False,
    ),
    Kind(
        "refund_issued",
        "orders",
        "Refund issued for " + ORDER,
        "We issued a refund{% if amount %} of {{ amount|usd }}{% endif %}. It may take a few business days to appear.",
        keys=("order_number", "amount"),
        action="View the order",
        optional=False,
    ),
    # --- title and delivery --------------------------------------------------------------------
    Kind(
        "title_status",
        "delivery",
        "Title update for " + ORDER,
        "The title transfer for " + ORDER + " is now: {{ status|words|default:'updated' }}.",
        keys=("order_number", "status"),
        action="Track your order",
    ),
    Kind(
        "transport_status",
        "delivery",
        "Delivery update for " + ORDER,
        "Transport for " + ORDER + " is now: {{ status|words|default:'updated' }}.",
        keys=("order_number", "status"),
        action="Track your order",
    ),
    # --- after the sale: title, delivery, storage, proceeds (fulfillment) -----------------------------------
    Kind(
        "delivery_choice_needed",
        "delivery",
        "Pickup or delivery for " + ORDER,
        "Choose how you get " + THE_VEHICLE + ": pick it up yourself"
        "{% if free_until %} (free until {{ free_until|when }}){% endif %} or book door-to-door transport."
        "{% if pickup_code %} Your pickup code is {{ pickup_code }}: give it to the seller only when you collect the"
        " vehicle.{% endif %}",
        keys=("order_number", "vehicle", "free_until", "pickup_code"),
        action="Choose pickup or transport",
        optional=False,
    ),
    Kind(
        "title_documents_requested",
        "selling",
        "Upload the title documents for " + ORDER,
        VEHICLE + " is paid for. Upload the signed title (front and back), the odometer disclosure and the dealer"
        " reassignment{% if due_at %} by {{ due_at|when }}{% endif %}, and release the vehicle when it is ready"
        " to be collected.",
        keys=("order_number", "vehicle", "due_at"),
        action="Upload the documents",
        optional=False,
    ),
    Kind(
        "title_documents_reminder",
        "selling",
        "Reminder: title documents for " + ORDER,
        "The title documents for " + THE_VEHICLE + " are due{% if due_at %} by {{ due_at|when }}{% endif %}."
        " The buyer is waiting for their title.",
        keys=("order_number", "vehicle", "due_at"),
        action="Upload the documents",
        optional=False,
    ),
    Kind(
        "title_documents_late",
        "selling",
        "Title documents overdue for " + ORDER,
        "The title documents for " + THE_VEHICLE + " are overdue. Upload them now; until you do, the buyer is"
        " not charged storage and our staff will contact you.",
        keys=("order_number", "vehicle"),
        action="Upload the documents",
        optional=False,
    ),
    Kind(
        "title_documents_rejected",
        "selling",
        "Title documents need changes for " + ORDER,
        "Please upload new title documents for " + THE_VEHICLE + "." + REASON,
        keys=("order_number", "vehicle", "reason"),
        action="Upload new documents",
        optional=False,
    ),
    Kind(
        "pickup_reminder",
        "delivery",
        "Free pickup ends soon for " + ORDER,
        "Collect " + THE_VEHICLE + "{% if free_until %} by {{ free_until|when }}{% endif %} or book door-to-door"
        " transport; after that storage is{% if per_day %} {{ per_day|usd }}{% endif %} a day.",
        keys=("order_number", "vehicle", "free_until", "per_day"),
        action="Choose pickup or transport",
        optional=False,
    ),
    Kind(
        "storage_charged",
        "orders",
        "Storage charged for " + ORDER,
        "Free pickup time for " + THE_VEHICLE + " has ended: storage{% if per_day %} is {{ per_day|usd }} a day"
        "{% endif %}{% if amount %}; {{ amount|usd }} was added{% endif %}{% if total %} ({{ total|usd }} in all)"
        "{% endif %}. Pay it on the order page and collect the vehicle, or book transport.",
        keys=("order_number", "vehicle", "amount", "total", "per_day"),
        action="Pay and collect",
        optional=False,
    ),
    Kind(
        "storage_waived",
        "orders",
        "Storage waived for " + ORDER,
        "We waived{% if amount %} {{ amount|usd }} of{% endif %} storage for " + THE_VEHICLE + "." + REASON,
        keys=("order_number", "vehicle", "amount", "reason"),
        action="View the order",
    ),
    Kind(
        "pickup_code_locked",
        "delivery",
        "Pickup code locked for " + ORDER,
        "Several wrong pickup codes were entered for " + THE_VEHICLE + ", so code entry is locked. Our staff will"
        " send you a new code; if you did not try to collect the vehicle, reply to this message.",
        keys=("order_number", "vehicle"),
        action="View the order",
        optional=False,
    ),
    Kind(
        "order_completed",
        "orders",
        ORDER_CAP + " is complete",
        "The sale of " + THE_VEHICLE + " is complete: the title and the vehicle are with the buyer.",
        keys=("order_number", "vehicle"),
        action="View the order",
    ),
    Kind(
        "proceeds_released",
        "selling",
        "Your proceeds for " + ORDER + " are released",
        "The sale of " + THE_VEHICLE + " is complete. {% if amount %}{{ amount|usd }}{% else %}Your proceeds"
        "{% endif %} will be paid out{% if due_date %} by {{ due_date|when }}{% endif %}.",
        keys=("order_number", "vehicle", "amount", "due_date"),
        action="See your statement",
        optional=False,
    ),
    Kind(
        "proceeds_changed",
        "selling",
        "Your proceeds for " + ORDER + " changed",
        "{% if amount %}{{ amount|usd }} was deducted from{% else %}We changed{% endif %} your proceeds for "
        + THE_VEHICLE
        + "."
        + REASON
        + "{% if net %} You now receive {{ net|usd }}.{% endif %}",
        keys=("order_number", "vehicle", "amount", "reason", "net"),
        action="See your statement",
        optional=False,
    ),
    Kind(
        "payout_sent",
        "selling",
        "Payout sent for " + ORDER,
        "We sent {% if amount %}{{ amount|usd }}{% else %}your proceeds{% endif %} for " + THE_VEHICLE + "."
        "{% if reference %} Reference: {{ reference }}.{% endif %}",
        keys=("order_number", "vehicle", "amount", "reference"),
        action="See your statement",
        optional=False,
    ),
    # --- claims (fulfillment) ----------------------------------------------------------------------
    Kind(
        "claim_opened",
        "orders",
        CLAIM_CAP + " opened on " + ORDER,
        "{% if role == 'seller' %}The buyer opened a claim on " + THE_VEHICLE + " ({{ category|default:'claim' }})."
        " Answer with your side and photos{% if due_at %} by {{ due_at|when }}{% endif %}; after that our staff"
        " decide without it.{% else %}We received your claim on " + THE_VEHICLE + " ({{ category|default:'claim' }})."
        " The seller answers{% if due_at %} by {{ due_at|when }}{% endif %}, then our staff decide.{% endif %}",
        keys=("claim", "order_number", "vehicle", "category", "role", "due_at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_answered",
        "orders",
        "The seller answered " + CLAIM,
        "The seller answered your claim on " + ORDER + ". Our staff decide"
        "{% if due_at %} by {{ due_at|when }}{% endif %}.",
        keys=("claim", "order_number", "due_at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_message",
        "orders",
        "New message on " + CLAIM,
        "{% if author == 'staff' %}Our staff{% else %}The {{ author|default:'other party' }}{% endif %} wrote on the"
        " claim for " + ORDER + ": {{ message|default:'' }}",
        keys=("claim", "order_number", "author", "message"),
        action="See the claim",
    ),
    Kind(
        "claim_seller_late",
        "orders",
        CLAIM_CAP + " is with our staff",
        "The seller did not answer the claim on " + ORDER + " in time. Our staff decide on what was sent"
        "{% if due_at %} by {{ due_at|when }}{% endif %}.",
        keys=("claim", "order_number", "due_at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_decided",
        "orders",
        CLAIM_CAP + " decided: {{ outcome|default:'see the decision' }}",
        "Our decision on the claim for " + ORDER + ": {{ outcome|default:'decided' }}"
        "{% if amount and amount != '0.00' and amount != '0' %} ({{ amount|usd }} refunded to the buyer's card)"
        "{% endif %}."
        + REASON
        + "{% if return_due_at %}{% if role == 'buyer' %} Please return the vehicle to the seller by"
        " {{ return_due_at|when }} and say so on the order page.{% else %} The buyer returns the vehicle by"
        " {{ return_due_at|when }}; confirm on the order page when it is back with you.{% endif %}{% endif %}",
        keys=("claim", "order_number", "outcome", "amount", "reason", "role", "return_due_at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_return_sent",
        "orders",
        "The vehicle is on its way back (" + CLAIM + ")",
        "{% if role == 'seller' %}The buyer says the vehicle of " + ORDER + " is on its way back to you"
        "{% if note %} ({{ note }}){% endif %}. Confirm on the order page when you have it"
        "{% if due_at %}, by {{ due_at|when }}{% endif %}.{% else %}We told the seller the vehicle is on its way"
        " back. They confirm when they have it{% if due_at %}, by {{ due_at|when }}{% endif %}.{% endif %}",
        keys=("claim", "order_number", "role", "note", "due_at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_returned",
        "orders",
        "The vehicle is back with the seller (" + CLAIM + ")",
        "The return of the vehicle of " + ORDER + " is confirmed"
        "{% if by == 'staff' %} by our staff{% elif by == 'seller' %} by the seller{% endif %}"
        "{% if at %} ({{ at|when }}){% endif %}. The claim is closed.",
        keys=("claim", "order_number", "by", "at"),
        action="See the claim",
        optional=False,
    ),
    Kind(
        "claim_return_late",
        "orders",
        "The vehicle's return is late (" + CLAIM + ")",
        "{% if late == 'seller' %}The seller has not confirmed the vehicle of " + ORDER + " is back"
        "{% else %}The vehicle of " + ORDER + " has not been returned{% endif %}"
        "{% if due_at %} by the deadline, {{ due_at|when }}{% endif %}. Our staff follow up with you.",
        keys=("claim", "order_number", "late", "due_at"),
        action="See the claim",
        optional=False,
    ),
    # --- staff -----------------------------------------------------------------------------------
    Kind(
        "staff_alert",
        "staff",
        "{{ subject|default:'Staff alert' }}",
        "{{ message|default:'Something needs staff attention.' }}",
        keys=("subject", "message"),
        email_subject="[Staff] {{ subject|default:'Staff alert' }}",
        action="Open in the console",
        optional=False,
    ),
]

# --- finding (issue 20): saved searches and what a buyer watches ------------------------------------------
_KINDS += [
    Kind(
        "saved_search_match",
        "alerts",
        "New match for “{{ search|default:'your saved search' }}”: " + THE_VEHICLE,
        "{{ vehicle|default:'A vehicle'|capfirst }}{% if price %}, {{ price|usd }}{% endif %}"
        "{% if mileage %}, {{ mileage }} mi{% endif %}{% if location %}, {{ location }}{% endif %}"
        "{% if reason == 'auction_scheduled' %} is going to auction{% else %} was just listed{% endif %}"
        " and matches your saved search “{{ search|default:'your search' }}”.",
        keys=("search", "vehicle", "price", "mileage", "location", "reason"),
        action="See the vehicle",
    ),
    Kind(
        "saved_search_digest",
        "alerts",
        "{{ count|default:'New' }} new match{{ count|pluralize:'es' }} for “{{ search|default:'your saved search' }}”",
        "Since the last digest: {{ vehicles|default:'new vehicles match your search.' }}",
        keys=("search", "count", "vehicles"),
        action="See all matches",
    ),
    Kind(
        "watched_auction_started",
        "alerts",
        "Bidding is open on " + THE_VEHICLE,
        "The auction for " + THE_VEHICLE + " on your watchlist has started"
        "{% if ends_at %}; it ends {{ ends_at|when }}{% endif %}.",
        keys=("vehicle", "auction_url", "ends_at"),
        action="Go to the auction",
    ),
    Kind(
        "watched_auction_changed",
        "alerts",
        "Update on " + THE_VEHICLE,
        "{% if change == 'buy_now' %}{% if buy_now_price %}The buy-now price of "
        + THE_VEHICLE
        + " is now {{ buy_now_price|usd }}.{% else %}Buy now is no longer offered on "
        + THE_VEHICLE
        + ".{% endif %}"
        "{% elif change == 'reserve_met' %}The reserve on " + THE_VEHICLE + " is met: the high bid will win."
        "{% elif change == 'reserve_lowered' %}The seller lowered the reserve on " + THE_VEHICLE + "."
        "{% else %}" + THE_VEHICLE + " changed.{% endif %}",
        keys=("vehicle", "auction_url", "change", "buy_now_price"),
        action="Go to the auction",
    ),
    Kind(
        "watched_relisted",
        "alerts",
        THE_VEHICLE + " is up for auction again",
        "{{ vehicle|default:'A vehicle'|capfirst }} on your watchlist was relisted"
        "{% if ends_at %}; bidding ends {{ ends_at|when }}{% endif %}.",
        keys=("vehicle", "auction_url", "ends_at"),
        action="Go to the auction",
    ),
    Kind(
        "losing_final_minutes",
        "alerts",
        "5 minutes left and you're not leading on " + THE_VEHICLE,
        "Someone else leads{% if current_price %} at {{ current_price|usd }}{% endif %} and bidding closes"
        " {% if ends_at %}at {{ ends_at|when }}{% else %}in 5 minutes{% endif %}. Bid again to stay in.",
        keys=("vehicle", "auction_url", "current_price", "ends_at"),
        action="Bid again",
    ),
]

KINDS: dict[str, Kind] = {kind.name: kind for kind in _KINDS}


class UnknownKind(KeyError):
    """`notify` was called with a kind that is not declared here: a programming error."""


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(f"unknown notification kind {name!r}; declare it in notifications/kinds.py") from None
