"""Seed the increment table with BIDDING.md's defaults; staff edit it afterwards."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [
    ("0", "25"),
    ("1000", "50"),
    ("5000", "100"),
    ("25000", "250"),
    ("50000", "500"),
    ("100000", "1000"),
]


def seed(apps, schema_editor):
    IncrementTier = apps.get_model("auctions", "IncrementTier")
    for start, step in DEFAULTS:
        IncrementTier.objects.get_or_create(from_price=Decimal(start), defaults={"increment": Decimal(step)})


def unseed(apps, schema_editor):
    apps.get_model("auctions", "IncrementTier").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("auctions", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
