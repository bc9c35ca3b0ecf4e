"""Payment deadlines in business days (BIDDING.md: pay within 3, cancellable after 5).

Business days are Monday to Friday in the marketplace's time zone (Central); a sale on Friday
evening is due the following Wednesday at the same local time. Public holidays are not skipped.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

PAYMENT_DUE_BUSINESS_DAYS = 3
CANCELLABLE_AFTER_BUSINESS_DAYS = 5


def add_business_days(start: datetime, days: int) -> datetime:
    """`start` plus `days` weekdays, counted in the marketplace's local time; returns aware UTC."""
    local = start.astimezone(ZoneInfo(settings.TIME_ZONE))
    added = 0
    while added < days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            added += 1
    return local.astimezone(ZoneInfo("UTC"))


def payment_due_at(sold_at: datetime) -> datetime:
    return add_business_days(sold_at, PAYMENT_DUE_BUSINESS_DAYS)


def cancellable_at(sold_at: datetime) -> datetime:
    return add_business_days(sold_at, CANCELLABLE_AFTER_BUSINESS_DAYS)
