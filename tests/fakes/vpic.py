"""A local NHTSA vPIC speaking `GET /DecodeVinValues/{VIN}?format=json[&modelyear=YYYY]` (VENDORS.md):
`{"Count", "Message", "SearchCriteria", "Results": [{flat strings}]}`, every value a string, "" = unknown."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.http import FakeHandler, run_fake_server

EMPTY_RESULT = dict.fromkeys(("Make", "Model", "ModelYear", "Trim", "Series", "BodyClass", "EngineCylinders", "DisplacementL", "FuelTypePrimary", "TransmissionStyle", "DriveType", "Manufacturer", "PlantCountry", "VehicleType"), "")  # fmt: skip
KNOWN_VINS: dict[str, dict[str, str]] = {
    "1HGCM82633A004352": {
        "Make": "HONDA", "Model": "Accord", "ModelYear": "2003", "Trim": "EX-V6", "Series": "",
        "BodyClass": "Coupe", "EngineCylinders": "6", "DisplacementL": "3.0", "FuelTypePrimary": "Gasoline",
        "TransmissionStyle": "Automatic", "DriveType": "FWD/Front-Wheel Drive",
        "Manufacturer": "AMERICAN HONDA MOTOR CO., INC.", "PlantCountry": "UNITED STATES (USA)", "VehicleType": "PASSENGER CAR",
    },
    "1G4AH59H45G118341": {
        "Make": "BUICK", "Model": "LaCrosse", "ModelYear": "2005", "Trim": "CXL", "Series": "",
        "BodyClass": "Sedan/Saloon", "EngineCylinders": "6", "DisplacementL": "3.8", "FuelTypePrimary": "Gasoline",
        "TransmissionStyle": "Automatic", "DriveType": "FWD/Front-Wheel Drive",
        "Manufacturer": "GENERAL MOTORS LLC", "PlantCountry": "CANADA", "VehicleType": "PASSENGER CAR",
    },
}  # fmt: skip


@dataclass
class VpicState:
    known: dict[str, dict[str, str]] = field(default_factory=lambda: dict(KNOWN_VINS))
    requests: list[str] = field(default_factory=list)
    fail_with: int | None = None  # answer this HTTP status to every request (e.g. 503)


class VpicHandler(FakeHandler):
    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.state.requests.append(self.path)
        if self.state.fail_with:
            self.send_bytes(self.state.fail_with, b"<html>Service Unavailable</html>", "text/html")
            return
        if "/DecodeVinValues/" not in url.path:
            self.send_json(404, {"Message": "Not found"})
            return
        vin = url.path.rsplit("/", 1)[-1].upper()
        query = parse_qs(url.query)
        if query.get("format") != ["json"]:
            self.send_bytes(200, b"<Response/>", "application/xml")
            return
        data = self.state.known.get(vin)
        result: dict[str, Any] = {**EMPTY_RESULT, "VIN": vin}
        if data:
            result.update(data, ErrorCode="0", ErrorText="0 - VIN decoded clean. Check Digit (9th position) is correct")
        else:
            result.update(
                ErrorCode="7",
                ErrorText="7 - Manufacturer is not registered with NHTSA for sale or importation in the U.S. for use on U.S roads; Please contact the manufacturer directly for more information.",
            )
        self.send_json(
            200,
            {
                "Count": 1,
                "Message": "Results returned successfully. NOTE: Any missing decoded values should be interpreted as NHTSA does not have data on the specific variable. Missing value should NOT be interpreted as an indication that a feature or technology is unavailable for a vehicle.",
                "SearchCriteria": f"VIN(s): {vin}",
                "Results": [result],
            },
        )


@pytest.fixture
def fake_vpic(settings: Any) -> Iterator[VpicState]:
    """vPIC on 127.0.0.1, wired into settings (VPIC_API_URL, VPIC_ENABLED); ClearVIN off."""
    state = VpicState()
    with run_fake_server(VpicHandler, state=state) as base_url:
        settings.VPIC_API_URL = base_url + "/api/vehicles"
        settings.VPIC_ENABLED = True
        settings.CLEARVIN_EMAIL = ""
        settings.CLEARVIN_PASSWORD = ""
        yield state
