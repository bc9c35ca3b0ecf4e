"""Reference rows the product starts with (seeded by data migrations; staff edit them afterwards).

`ensure_reference_data()` re-creates missing rows; tests call it because a transactional test
flushes every table when it ends.
"""

from decimal import Decimal

from django.conf import settings

from core.site_urls import site_domain

# Minnesota's motor vehicle sales tax is 6.875% (BIDDING.md); the neighbours are the states our
# Minnesota dealers sell into most. Other states: tax is paid by the buyer when registering at home.
STATE_FEES = [
    ("MN", "Minnesota", "8.25", "0.06875"),
    ("WI", "Wisconsin", "164.50", "0.05000"),
    ("IA", "Iowa", "25.00", "0.05000"),
    ("ND", "North Dakota", "5.00", "0.05000"),
    ("SD", "South Dakota", "10.00", "0.04000"),
]


def seed_fee_tables(fee_schedule_model: type, state_fee_model: type) -> None:
    """Works with real or historical (migration) models."""
    if not fee_schedule_model.objects.exists():  # type: ignore[attr-defined]
        fee_schedule_model.objects.create()  # type: ignore[attr-defined]
    for state, name, title_fee, rate in STATE_FEES:
        state_fee_model.objects.get_or_create(  # type: ignore[attr-defined]
            state=state, defaults={"name": name, "title_fee": Decimal(title_fee), "sales_tax_rate": Decimal(rate)}
        )


def seed_transport_rates(card_model: type, band_model: type) -> None:
    """The first transport rate card (core.transport's defaults), when there is none. Works with real or
    historical (migration) models."""
    from core.transport import DEFAULT_BANDS

    if card_model.objects.exists():  # type: ignore[attr-defined]
        return
    card = card_model.objects.create(name="Standard")  # type: ignore[attr-defined]
    for from_miles, per_mile in DEFAULT_BANDS:
        band_model.objects.create(card=card, from_miles=from_miles, per_mile=per_mile)  # type: ignore[attr-defined]


def ensure_reference_data() -> None:
    from django.contrib.sites.models import Site

    from core.models import FeeSchedule, StateFee, TransportRateBand, TransportRateCard

    seed_fee_tables(FeeSchedule, StateFee)
    seed_transport_rates(TransportRateCard, TransportRateBand)
    domain = site_domain() or "127.0.0.1:8000"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME})
    from django.utils.module_loading import import_string

    for path in getattr(settings, "REFERENCE_DATA_EXTRA", []):  # higher apps' rows (e.g. staff roles)
        import_string(path)()
