"""What this app shows on the vehicle page (see settings.VEHICLE_PAGE_PANELS)."""

from typing import Any

from django.http import HttpRequest


def vehicle_panel(request: HttpRequest, vehicle: Any) -> str:
    return ""
