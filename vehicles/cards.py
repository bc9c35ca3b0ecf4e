"""The columns an inventory card reads (the API's `VehicleCardOutput`/`card`, the page's `_card.html`, the condition
badges): an inventory page loads only these (vehicles/paging.py), not the description, condition report, features
or decoded specs. A card field that reads another column must add it here (vehicles/tests/test_card.py counts the
queries of a page of cards)."""

CARD_FIELDS = (
    "id", "vin", "year", "make", "model", "trim", "body_type", "fuel_type", "transmission", "drivetrain", "mileage",
    "title_type", "title_state", "city", "state", "status", "starting_price", "current_price", "buy_now_price",
    "reserve_price", "accepts_offers", "auction_status", "auction_ends_at", "bid_count", "cover_thumbnail",
    "approved_at", "runs_drives", "keys_count", "starts", "drives", "odometer_brand", "airbags_deployed",
)  # fmt: skip
