"""Saved-search alerts (thin, idempotent tasks; the beat entries are in config/celery.py)."""

from celery import shared_task


@shared_task(ignore_result=True)
def match_saved_searches(vehicle_id: int, reason: str = "published") -> int:
    """A vehicle was published or listed: record its saved-search matches and alert instant searches."""
    from vehicles.services.saved_searches import saved_search_match_vehicle

    return saved_search_match_vehicle(vehicle_id=vehicle_id, reason=reason)


@shared_task(ignore_result=True)
def match_pending_vehicles() -> int:
    """Beat: vehicles still flagged for matching (their task was lost) are matched now."""
    from vehicles.services.saved_searches import saved_search_match_pending

    return saved_search_match_pending()


@shared_task(ignore_result=True)
def send_saved_search_digests() -> int:
    """Beat: daily-digest saved searches whose digest is due get one notification with everything new."""
    from vehicles.services.saved_searches import saved_search_send_due_digests

    return saved_search_send_due_digests()
