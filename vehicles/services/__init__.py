"""Writes for the vehicles domain. Other apps import from here (the names below are the contract)."""

from vehicles.services.descriptions import vehicle_draft_description
from vehicles.services.favorites import favorite_add, favorite_remove
from vehicles.services.lifecycle import (
    vehicle_approve,
    vehicle_archive,
    vehicle_create,
    vehicle_delete,
    vehicle_reject,
    vehicle_submit,
    vehicle_update,
)
from vehicles.services.listing import (
    vehicle_listing_snapshot_update,
    vehicle_mark_listed,
    vehicle_mark_sold,
    vehicle_mark_unlisted,
    vehicle_sale_result_record,
    vehicles_mark_ended,
)
from vehicles.services.media import (
    document_attach,
    document_delete,
    photo_attach,
    photo_delete,
    photos_reorder,
    upload_prepare,
)
from vehicles.services.saved_searches import (
    saved_search_create,
    saved_search_delete,
    saved_search_match_vehicle,
    saved_search_update,
)
from vehicles.services.vin_decoding import vin_decode

__all__ = [
    "document_attach",
    "document_delete",
    "favorite_add",
    "favorite_remove",
    "photo_attach",
    "photo_delete",
    "photos_reorder",
    "saved_search_create",
    "saved_search_delete",
    "saved_search_match_vehicle",
    "saved_search_update",
    "upload_prepare",
    "vehicle_approve",
    "vehicle_archive",
    "vehicle_create",
    "vehicle_delete",
    "vehicle_draft_description",
    "vehicle_listing_snapshot_update",
    "vehicle_mark_listed",
    "vehicle_mark_sold",
    "vehicle_mark_unlisted",
    "vehicles_mark_ended",
    "vehicle_reject",
    "vehicle_sale_result_record",
    "vehicle_submit",
    "vehicle_update",
    "vin_decode",
]
