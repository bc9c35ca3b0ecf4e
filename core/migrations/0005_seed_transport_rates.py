from django.db import migrations

from core.reference_data import seed_transport_rates


def seed(apps, schema_editor):
    seed_transport_rates(apps.get_model("core", "TransportRateCard"), apps.get_model("core", "TransportRateBand"))


class Migration(migrations.Migration):
    dependencies = [("core", "0004_transport_rates")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
