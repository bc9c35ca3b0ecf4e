"""Notification gauges read at scrape time (settings.METRICS_COLLECTORS)."""

from prometheus_client.core import GaugeMetricFamily


def email_queue() -> list[GaugeMetricFamily]:
    """Emails waiting to be sent (queued or being sent) and how long the oldest has waited past its send time."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from notifications.models import EmailDelivery

    waiting = EmailDelivery.objects.filter(status__in=[EmailDelivery.Status.QUEUED, EmailDelivery.Status.SENDING])
    row = waiting.filter(send_after__lte=timezone.now()).aggregate(n=Count("pk"), oldest=Min("send_after"))
    age = (timezone.now() - row["oldest"]).total_seconds() if row["oldest"] else 0.0
    return [
        GaugeMetricFamily("email_queue_depth", "Emails due and not sent yet", value=row["n"]),
        GaugeMetricFamily("email_queue_oldest_seconds", "Seconds the oldest due email has waited", value=age),
    ]
