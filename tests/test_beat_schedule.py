"""Periodic sweeps expire within their own period, as the database scheduler sends them (config/celery.py)."""

import pytest


@pytest.mark.django_db
def test_every_periodic_sweep_is_sent_with_an_expiry_within_its_period():
    from django_celery_beat.schedulers import ModelEntry

    from config.celery import BEAT_SCHEDULE, app

    assert BEAT_SCHEDULE
    for name, entry in BEAT_SCHEDULE.items():
        sent = ModelEntry.from_entry(name, app=app, **entry)
        assert 0 < sent.options["expires"] <= max(2, entry["schedule"]), name
