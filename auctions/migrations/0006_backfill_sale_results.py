"""Vehicles whose auctions ended before sale results were recorded get their latest result (Results page).
The rule is auctions.services.sale_results.sale_result, repeated here on historical models."""

from django.db import migrations

STRIDE = 10**9


def backfill(apps, schema_editor):
    Auction = apps.get_model("auctions", "Auction")
    Vehicle = apps.get_model("vehicles", "Vehicle")
    for auction in Auction.objects.filter(status="ended").order_by("pk").iterator(chunk_size=1000):
        if auction.outcome == "sold":
            outcome, price, ended_at = "sold", auction.final_price, auction.sold_at or auction.closed_at
        elif auction.outcome in ("reserve_not_met", "unsold") and auction.bid_count and auction.current_price:
            outcome, price, ended_at = "reserve_not_met", auction.current_price, auction.closed_at
        else:
            continue
        seq = auction.pk * STRIDE + auction.version
        Vehicle.objects.filter(pk=auction.vehicle_id, sale_seq__lte=seq).update(
            sale_seq=seq, sale_outcome=outcome, sale_price=price, sale_ended_at=ended_at, sale_bid_count=auction.bid_count
        )


class Migration(migrations.Migration):
    dependencies = [("auctions", "0005_watch_alerts"), ("vehicles", "0005_fill_coordinates_from_zip")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
