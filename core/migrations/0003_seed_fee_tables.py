from decimal import Decimal

from django.db import migrations

# Starting values for staff to maintain in the admin (Platform > State fees). Minnesota's motor
# vehicle sales tax is 6.875% (BIDDING.md); the neighbours are the states our Minnesota dealers
# sell into most. Other states: tax is paid by the buyer when registering at home.
STATES = [
    ("MN", "Minnesota", "8.25", "0.06875"),
    ("WI", "Wisconsin", "164.50", "0.05000"),
    ("IA", "Iowa", "25.00", "0.05000"),
    ("ND", "North Dakota", "5.00", "0.05000"),
    ("SD", "South Dakota", "10.00", "0.04000"),
]


def seed(apps, schema_editor):
    FeeSchedule = apps.get_model("core", "FeeSchedule")
    StateFee = apps.get_model("core", "StateFee")
    if not FeeSchedule.objects.exists():
        FeeSchedule.objects.create()
    for state, name, title_fee, rate in STATES:
        StateFee.objects.get_or_create(
            state=state, defaults={"name": name, "title_fee": Decimal(title_fee), "sales_tax_rate": Decimal(rate)}
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_fee_tables")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
