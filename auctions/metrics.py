"""Auction gauges read at scrape time (settings.METRICS_COLLECTORS; counters live in core.metrics)."""

from prometheus_client.core import GaugeMetricFamily


def close_backlog() -> list[GaugeMetricFamily]:
    """Auctions due to close and not closed yet (`due_to_close`: live, or never started, past their end) and the
    age of the oldest (0 when none): the close lag still to come, which grows when no worker closes (one indexed
    query: status + ends_at)."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from auctions.models import Auction

    now = timezone.now()
    row = Auction.objects.due_to_close(now).aggregate(n=Count("pk"), oldest=Min("ends_at"))
    age = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return [
        GaugeMetricFamily("auction_close_backlog", "Auctions past their end, not closed yet", value=row["n"]),
        GaugeMetricFamily(
            "auction_close_backlog_seconds", "Seconds since the end of the oldest auction not closed yet", value=age
        ),
    ]
