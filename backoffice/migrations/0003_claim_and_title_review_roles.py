"""The roles again, now that fulfillment has claims: support and finance view and answer claims, support
reviews title documents, money decisions stay with `orders.refund_order` (backoffice.roles)."""

from django.db import migrations


def sync_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from backoffice.roles import ensure_roles

    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0002_staff_roles"),
        ("fulfillment", "0002_claims"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
