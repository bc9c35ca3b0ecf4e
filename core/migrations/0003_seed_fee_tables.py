from django.db import migrations

from core.reference_data import seed_fee_tables


def seed(apps, schema_editor):
    seed_fee_tables(apps.get_model("core", "FeeSchedule"), apps.get_model("core", "StateFee"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_fee_tables")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
