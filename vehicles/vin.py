"""VINs: the local check digit (always), and the decoders (ClearVIN → NHTSA vPIC → offline).

The check digit follows VENDORS.md exactly (ISO 3779 / 49 CFR 565): transliterate, weight, sum mod
11, 10 written "X", compared with position 9. Decoders return `DecodedVin` with normalised fields
named like `Vehicle`'s (body_type etc. are Vehicle choices or "").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import requests
from django.conf import settings
from django.core.cache import cache

from core import vendor_http
from core.errors import DomainError, VendorUnavailable

TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_SHAPE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
# Position 10 encodes the model year on a 30-year cycle (1980-2009, then 2010-2039).
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"


class InvalidVin(DomainError):
    """The VIN is malformed or its check digit is wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_vin", details={"vin": [message]})


def normalize_vin(raw: str) -> str:
    return re.sub(r"[\s-]", "", str(raw or "")).upper()


def check_digit(vin: str) -> str:
    """The check digit for a 17-character VIN whose characters are valid ("X" stands for 10)."""
    total = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(raw: str) -> str:
    """Return the normalised VIN or raise InvalidVin with a message a seller understands."""
    vin = normalize_vin(raw)
    if len(vin) != 17:
        raise InvalidVin(f"A VIN has 17 characters; this one has {len(vin)}.")
    bad = sorted({char for char in vin if char in "IOQ" or not char.isalnum()})
    if bad:
        raise InvalidVin(f"A VIN never contains {', '.join(bad)} (I, O and Q are not used, to avoid 1 and 0).")
    if not VIN_SHAPE.match(vin):
        raise InvalidVin("A VIN has only letters and digits.")
    expected = check_digit(vin)
    if vin[8] != expected:
        raise InvalidVin("This VIN's check digit (9th character) does not match; please check it for typos.")
    return vin


def with_check_digit(vin16: str) -> str:
    """Build a valid VIN from 17 characters whose 9th is a placeholder (demo data, benchmarks)."""
    vin = normalize_vin(vin16)
    return vin[:8] + check_digit(vin[:8] + "0" + vin[9:]) + vin[9:]


def model_year_candidates(vin: str) -> list[int]:
    code = vin[9]
    if code not in YEAR_CODES:
        return []
    offset = YEAR_CODES.index(code)
    return [1980 + offset, 2010 + offset]


def likely_model_year(vin: str, *, today: date | None = None) -> int | None:
    """The most recent model year position 10 allows, never more than next year."""
    limit = (today or date.today()).year + 1  # noqa: DTZ011 - a calendar year, not an instant
    years = [year for year in model_year_candidates(vin) if year <= limit]
    return max(years) if years else None


@dataclass
class DecodedVin:
    vin: str
    source: str
    specs: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class VinDecoder(Protocol):
    source: str

    def decode(self, vin: str, *, model_year: int | None = None) -> DecodedVin | None:
        """Decoded fields, None when the vendor does not know this VIN; VendorUnavailable when it failed."""


# --- mapping vendor words to our choices ------------------------------------------------------------

BODY_WORDS = [
    ("convertible", "convertible"),
    ("cabriolet", "convertible"),
    ("roadster", "convertible"),
    ("coupe", "coupe"),
    ("hatchback", "hatchback"),
    ("liftback", "hatchback"),
    ("wagon", "wagon"),
    ("crossover", "crossover"),
    ("cuv", "crossover"),
    ("sport utility", "suv"),
    ("suv", "suv"),
    ("multi-purpose", "suv"),
    ("pickup", "pickup"),
    ("truck", "pickup"),
    ("minivan", "van"),
    ("van", "van"),
    ("sedan", "sedan"),
    ("saloon", "sedan"),
]


def _match(value: str, words: list[tuple[str, str]]) -> str:
    lowered = value.lower()
    return next((choice for word, choice in words if word in lowered), "")


def body_type_from(value: str) -> str:
    return _match(value, BODY_WORDS) if value else ""


def fuel_type_from(value: str) -> str:
    words = [
        ("plug-in", "plug_in_hybrid"),
        ("phev", "plug_in_hybrid"),
        ("hybrid", "hybrid"),
        ("electric", "electric"),
        ("bev", "electric"),
        ("diesel", "diesel"),
        ("flex", "flex"),
        ("ffv", "flex"),
        ("e85", "flex"),
        ("gasoline", "gasoline"),
        ("gas", "gasoline"),
        ("petrol", "gasoline"),
    ]
    return _match(value, words) if value else ""


def transmission_from(value: str) -> str:
    words = [
        ("continuously", "cvt"),
        ("cvt", "cvt"),
        ("manual", "manual"),
        ("standard", "manual"),
        ("auto", "automatic"),
    ]
    return _match(value, words) if value else ""


def drivetrain_from(value: str) -> str:
    words = [
        ("awd", "awd"),
        ("all-wheel", "awd"),
        ("all wheel", "awd"),
        ("4wd", "4wd"),
        ("4x4", "4wd"),
        ("4-wheel", "4wd"),
        ("four", "4wd"),
        ("fwd", "fwd"),
        ("front", "fwd"),
        ("rwd", "rwd"),
        ("rear", "rwd"),
        ("4x2", "rwd"),
    ]
    return _match(value, words) if value else ""


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# --- NHTSA vPIC ---------------------------------------------------------------------------------------


class VpicDecoder:
    """NHTSA vPIC `DecodeVinValues` (free, no key). Every value is a string; "" means unknown."""

    source = "vpic"

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = (base_url or settings.VPIC_API_URL).rstrip("/")

    def decode(self, vin: str, *, model_year: int | None = None) -> DecodedVin | None:
        params: dict[str, Any] = {"format": "json"}
        if model_year:
            params["modelyear"] = model_year
        response = vendor_http.request("vpic", "GET", f"{self.base_url}/DecodeVinValues/{vin}", params=params)
        if response.status_code != 200:
            raise VendorUnavailable("The NHTSA VIN decoder is not answering right now.")
        try:
            results = response.json().get("Results") or []
        except ValueError as exc:
            raise VendorUnavailable("The NHTSA VIN decoder sent an unreadable answer.") from exc
        if not results:
            return None
        row = {key: (value or "").strip() if isinstance(value, str) else value for key, value in results[0].items()}
        if not row.get("Make") or not row.get("Model"):
            return None
        displacement = row.get("DisplacementL", "")
        cylinders = row.get("EngineCylinders", "")
        engine_parts = []
        if displacement:
            try:
                engine_parts.append(f"{float(displacement):.1f}L")
            except ValueError:
                engine_parts.append(f"{displacement}L")
        if cylinders:
            engine_parts.append(f"{cylinders}-cylinder")
        specs = {
            "year": _int_or_none(row.get("ModelYear")),
            "make": row.get("Make", "").title(),
            "model": row.get("Model", ""),
            "trim": row.get("Trim") or row.get("Series", ""),
            "body_type": body_type_from(row.get("BodyClass", "")),
            "engine": " ".join(engine_parts),
            "transmission": transmission_from(row.get("TransmissionStyle", "")),
            "drivetrain": drivetrain_from(row.get("DriveType", "")),
            "fuel_type": fuel_type_from(row.get("FuelTypePrimary", "")),
        }
        codes = {code.strip() for code in str(row.get("ErrorCode", "0")).split(",") if code.strip()}
        warnings = [] if codes <= {"0"} else [str(row.get("ErrorText", "")).strip()]
        return DecodedVin(vin=vin, source=self.source, specs=specs, raw=row, warnings=[w for w in warnings if w])


# --- ClearVIN -------------------------------------------------------------------------------------------


class ClearVinDecoder:
    """ClearVIN vendor API: `POST /login {email, password}` → `{status: "ok", token}`; then
    `GET /report?vin=…` with the Bearer token → `{status, message, result{id, vin, report{…}}}`.

    The report's fields are not public (VENDORS.md, unconfirmed). Our choice, which the fake speaks:
    `report.decode{year, make, model, trim, body, engine, transmission, drive, fuel}`; a flat `report`
    with the same keys is accepted too. The raw payload is kept. The token is cached for 50 minutes
    and refreshed once on a 401.
    """

    source = "clearvin"
    TOKEN_CACHE_KEY = "vehicles:clearvin:token"  # noqa: S105 - a cache key, not a secret

    def __init__(self, base_url: str | None = None, email: str | None = None, password: str | None = None) -> None:
        self.base_url = (base_url or settings.CLEARVIN_API_URL).rstrip("/")
        self.email = email if email is not None else settings.CLEARVIN_EMAIL
        self.password = password if password is not None else settings.CLEARVIN_PASSWORD

    def _login(self) -> str:
        response = vendor_http.request(
            "clearvin", "POST", f"{self.base_url}/login", json={"email": self.email, "password": self.password}
        )
        body = _json_or_empty(response)
        if response.status_code != 200 or body.get("status") != "ok" or not body.get("token"):
            raise VendorUnavailable("ClearVIN refused our login; VIN decoding falls back to NHTSA.")
        token = str(body["token"])
        cache.set(self.TOKEN_CACHE_KEY, token, 50 * 60)
        return token

    def _report(self, vin: str, token: str) -> requests.Response:
        return vendor_http.request(
            "clearvin",
            "GET",
            f"{self.base_url}/report",
            params={"vin": vin},
            headers={"Authorization": f"Bearer {token}"},
        )

    def decode(self, vin: str, *, model_year: int | None = None) -> DecodedVin | None:
        token = cache.get(self.TOKEN_CACHE_KEY) or self._login()
        response = self._report(vin, token)
        if response.status_code == 401:
            cache.delete(self.TOKEN_CACHE_KEY)
            response = self._report(vin, self._login())
        if response.status_code == 404:
            return None
        body = _json_or_empty(response)
        if response.status_code != 200 or body.get("status") != "ok":
            raise VendorUnavailable(
                f"ClearVIN could not decode this VIN: {body.get('message') or response.status_code}"
            )
        report = (body.get("result") or {}).get("report") or {}
        fields: dict[str, Any] = report["decode"] if isinstance(report.get("decode"), dict) else report
        if not fields.get("make"):
            return None
        specs = {
            "year": _int_or_none(fields.get("year")),
            "make": str(fields.get("make", "")).title(),
            "model": str(fields.get("model", "")),
            "trim": str(fields.get("trim", "")),
            "body_type": body_type_from(str(fields.get("body", fields.get("style", "")))),
            "engine": str(fields.get("engine", "")),
            "transmission": transmission_from(str(fields.get("transmission", ""))),
            "drivetrain": drivetrain_from(str(fields.get("drive", fields.get("drive_type", "")))),
            "fuel_type": fuel_type_from(str(fields.get("fuel", fields.get("fuel_type", "")))),
        }
        return DecodedVin(vin=vin, source=self.source, specs=specs, raw=body)


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# --- offline --------------------------------------------------------------------------------------------


class OfflineDecoder:
    """No network: the manufacturer from the WMI (vininfo's table) and the model year from position 10."""

    source = "offline"

    def decode(self, vin: str, *, model_year: int | None = None) -> DecodedVin | None:
        from vininfo import Vin

        try:
            info = Vin(vin)
            manufacturer = str(info.manufacturer or "")
            country = str(info.country or "")
        except Exception:  # noqa: BLE001 - vininfo raises plain errors on unknown prefixes
            manufacturer, country = "", ""
        if manufacturer.lower() in ("unknown", "unsupported"):
            manufacturer = ""
        year = model_year or likely_model_year(vin)
        specs = {"year": year, "make": manufacturer, "model": "", "trim": ""}
        raw = {"wmi": vin[:3], "manufacturer": manufacturer, "country": country, "year_code": vin[9]}
        warning = "Decoded offline: only the make and model year are known; please fill in the rest."
        return DecodedVin(vin=vin, source=self.source, specs=specs, raw=raw, warnings=[warning])


def configured_decoders() -> list[VinDecoder]:
    """Decoders in the order they are tried: ClearVIN (when configured), vPIC (unless disabled), offline."""
    decoders: list[VinDecoder] = []
    if settings.CLEARVIN_EMAIL and settings.CLEARVIN_PASSWORD:
        decoders.append(ClearVinDecoder())
    if settings.VPIC_ENABLED:
        decoders.append(VpicDecoder())
    decoders.append(OfflineDecoder())
    return decoders
