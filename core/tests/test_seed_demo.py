"""`manage.py seed_demo`: loads once, and relists when every demo auction has ended."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from auctions.models import Auction
from auctions.services import auction_close_due


@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_once_and_relists_after_every_auction_ended():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Demo data loaded." in out.getvalue()
    live = Auction.objects.open().count()
    assert live > 10

    call_command("seed_demo", stdout=(again := StringIO()))
    assert "already loaded" in again.getvalue()
    assert Auction.objects.open().count() == live  # nothing relisted while auctions are live

    Auction.objects.open().update(ends_at=timezone.now() - timedelta(seconds=1))
    auction_close_due()
    assert not Auction.objects.open().exists()
    call_command("seed_demo", stdout=(later := StringIO()))
    assert "relisting" in later.getvalue()
    assert Auction.objects.open().exists()
