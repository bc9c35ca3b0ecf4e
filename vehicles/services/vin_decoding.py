"""Decode a VIN through the configured decoders, caching the answer per VIN."""

from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import VendorUnavailable
from vehicles.models import VinDecode
from vehicles.vin import DecodedVin, VinDecoder, configured_decoders, validate_vin

logger = structlog.get_logger(__name__)
# An offline answer is a stop-gap: ask the vendors again after this long.
OFFLINE_RETRY_AFTER = timedelta(hours=1)


def _cached(vin: str) -> DecodedVin | None:
    row = VinDecode.objects.filter(vin=vin).first()
    if row is None:
        return None
    age = timezone.now() - row.decoded_at
    fresh_for = (
        OFFLINE_RETRY_AFTER
        if row.source == VinDecode.Source.OFFLINE
        else timedelta(days=settings.VIN_DECODE_CACHE_DAYS)
    )
    if age > fresh_for:
        return None
    return DecodedVin(vin=vin, source=row.source, specs=row.specs, raw=row.raw)


def _store(decoded: DecodedVin) -> None:
    values = {"source": decoded.source, "specs": decoded.specs, "raw": decoded.raw, "decoded_at": timezone.now()}
    try:
        with transaction.atomic():
            VinDecode.objects.create(vin=decoded.vin, **values)
    except IntegrityError:
        VinDecode.objects.filter(vin=decoded.vin).update(**values)


def vin_decode(
    *, vin: str, model_year: int | None = None, refresh: bool = False, decoders: list[VinDecoder] | None = None
) -> DecodedVin:
    """Validate the check digit (InvalidVin), then answer from the cache or the first decoder that knows
    the VIN: ClearVIN (if configured) → NHTSA vPIC → offline. A vendor that fails is skipped, so this
    always answers for a valid VIN. Must not run inside a transaction (vendor calls)."""
    vin = validate_vin(vin)
    if not refresh and (hit := _cached(vin)) is not None:
        return hit
    for decoder in decoders if decoders is not None else configured_decoders():
        try:
            decoded = decoder.decode(vin, model_year=model_year)
        except VendorUnavailable as exc:
            logger.warning("vin.decoder_failed", decoder=decoder.source, vin=vin, error=exc.message)
            continue
        if decoded is not None:
            _store(decoded)
            return decoded
    raise VendorUnavailable("No VIN decoder could answer right now.")  # the offline decoder always answers
