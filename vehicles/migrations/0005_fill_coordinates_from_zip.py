"""Existing vehicles get coordinates from their ZIP (core.geo, the same table transport quotes use), so
"within N miles" finds them; new and edited vehicles get them when they are saved (vehicles.validation)."""

from decimal import Decimal

from django.db import migrations

BATCH = 2000


def fill(apps, schema_editor):
    from core.geo import zip_point

    Vehicle = apps.get_model("vehicles", "Vehicle")
    rows = Vehicle.objects.filter(latitude__isnull=True).exclude(postal_code="").values_list("pk", "postal_code")
    by_zip: dict[str, list[int]] = {}
    for pk, postal_code in rows.iterator(chunk_size=BATCH):
        by_zip.setdefault(postal_code, []).append(pk)
    for postal_code, ids in by_zip.items():
        point = zip_point(postal_code)
        if point is None:
            continue
        for start in range(0, len(ids), BATCH):
            Vehicle.objects.filter(pk__in=ids[start : start + BATCH]).update(
                latitude=Decimal(str(point.latitude)).quantize(Decimal("0.000001")),
                longitude=Decimal(str(point.longitude)).quantize(Decimal("0.000001")),
            )


class Migration(migrations.Migration):
    dependencies = [("vehicles", "0004_condition_report_distance_saved_searches")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
