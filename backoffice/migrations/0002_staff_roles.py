"""Staff roles (support, finance, auctions, admin) as groups with their permissions (backoffice.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    from backoffice.roles import ensure_roles

    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0004_alter_accountevent_kind_strike"),
        ("core", "0008_webhookfailure"),
        ("notifications", "0001_initial"),
        ("vehicles", "0003_inventory_filter_and_fulltext_indexes"),
        ("auctions", "0003_idempotency_keys_move_to_core"),
        ("orders", "0001_initial"),
        ("offers", "0001_initial"),
        ("fulfillment", "0001_initial"),
        ("auditlog", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
