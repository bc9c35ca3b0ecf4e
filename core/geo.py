"""US ZIP codes to coordinates, and distances between them, offline.

The data is the `zipcodes` package's bundled table (about 42,000 ZIP codes with latitude and longitude; no
download at run time, unlike pgeocode and uszipcode, which fetch their data on first use). It is the one place
the project turns a ZIP into a point: transport quotes (fulfillment) and "within N miles" searches (vehicles)
both call it. Distances here are straight-line (great-circle) miles; a road estimate is the caller's business.
"""

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import zipcodes

ZIP_CODE = re.compile(r"[0-9]{5}(?:-[0-9]{4})?", re.ASCII)
EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True, slots=True)
class ZipPoint:
    zip_code: str
    city: str
    state: str
    latitude: float
    longitude: float


@cache
def _table() -> dict[str, ZipPoint]:
    table: dict[str, ZipPoint] = {}
    for row in zipcodes.list_all():
        if not row.get("lat") or not row.get("long"):
            continue
        table[row["zip_code"]] = ZipPoint(
            zip_code=row["zip_code"],
            city=row.get("city") or "",
            state=row.get("state") or "",
            latitude=float(row["lat"]),
            longitude=float(row["long"]),
        )
    return table


@lru_cache(maxsize=8192)
def _lookup(zip5: str) -> ZipPoint | None:
    # performance: one lookup in the package's compiled index (~0.4 ms) instead of materialising the whole table
    # as 42,000 Python objects (~1.8 s on the first call of a process); see warm_up().
    rows = [row for row in zipcodes.matching(zip5) if row.get("lat") and row.get("long")]
    if not rows:
        return None
    row = rows[0]
    return ZipPoint(
        zip_code=row["zip_code"],
        city=row.get("city") or "",
        state=row.get("state") or "",
        latitude=float(row["lat"]),
        longitude=float(row["long"]),
    )


def zip_point(raw: str | None) -> ZipPoint | None:
    """The point of a US ZIP code ("55401" or "55401-1234"), or None when it is malformed or does not exist."""
    text = (raw or "").strip()
    if not ZIP_CODE.fullmatch(text):
        return None
    return _lookup(text[:5])


def warm_up() -> None:
    """Load the package's ZIP index now (~0.5 s), so that a server's first quote does not pay for it."""
    _lookup("55401")


def miles_between(a: ZipPoint, b: ZipPoint) -> float:
    """Great-circle distance in miles (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(h))


def bounding_box(point: ZipPoint, miles: float) -> tuple[float, float, float, float]:
    """(min latitude, max latitude, min longitude, max longitude) of a box that contains every point within
    `miles` of `point`: an index-friendly pre-filter before the exact distance."""
    dlat = math.degrees(miles / EARTH_RADIUS_MILES)
    cos_lat = max(math.cos(math.radians(point.latitude)), 1e-6)
    dlon = min(180.0, math.degrees(miles / (EARTH_RADIUS_MILES * cos_lat)))
    return point.latitude - dlat, point.latitude + dlat, point.longitude - dlon, point.longitude + dlon
