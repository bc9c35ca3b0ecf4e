"""Domain counters and histograms, exported by django-prometheus at /metrics."""

from prometheus_client import Counter, Histogram

bids_total = Counter("auction_bids_total", "Bids received, by outcome", ["outcome"])
bid_seconds = Histogram(
    "auction_bid_seconds", "Time to place a bid, in seconds", buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)
)
auctions_closed_total = Counter("auction_closed_total", "Auctions closed, by outcome", ["outcome"])
payments_total = Counter("payments_total", "Payment attempts, by result", ["result"])
vendor_calls_total = Counter("vendor_calls_total", "Vendor API calls, by vendor and result", ["vendor", "result"])
notifications_total = Counter("notifications_total", "Notifications created, by kind", ["kind"])
