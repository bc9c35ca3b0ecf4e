"""Idempotency-Keys move to core (one design for bids, payments and offers): the bid keys are copied, keys
lower-cased (keys compare without case) and fingerprints in core's form, then the auctions table is dropped."""

import hashlib

from django.db import migrations


def copy_keys(apps, schema_editor):
    old = apps.get_model("auctions", "IdempotencyKey")
    new = apps.get_model("core", "IdempotencyKey")
    rows = [
        new(
            user_id=row.user_id,
            key=row.key.strip().lower(),
            # the old fingerprint was "bid:<auction id>:<amount>"; core.idempotency.fingerprint hashes that text
            fingerprint=hashlib.sha256(row.fingerprint.encode()).hexdigest(),
            response_status=row.response_status,
            response_body=row.response_body,
            created_at=row.created_at,
        )
        for row in old.objects.all().iterator()
    ]
    new.objects.bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0002_seed_increment_tiers"),
        ("core", "0004_idempotency_key"),
    ]
    operations = [
        migrations.RunPython(copy_keys, migrations.RunPython.noop),
        migrations.DeleteModel(name="IdempotencyKey"),
    ]
