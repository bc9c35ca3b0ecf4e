"""A local ClearVIN vendor API: `POST /login {email, password}` → `{"status":"ok","token"}`;
`GET /report?vin=…` with `Authorization: Bearer <token>` → `{status, message, result{id, vin, report{…}}}`.

The report's field names are not public (VENDORS.md: unconfirmed); this fake and vehicles.vin.ClearVinDecoder
agree on `report.decode{year, make, model, trim, body, engine, transmission, drive, fuel}`."""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.http import FakeHandler, run_fake_server

EMAIL = "api@dealer.example"
PASSWORD = "clearvin-secret"
REPORTS = {
    "1G4AH59H45G118341": {
        "year": "2005", "make": "BUICK", "model": "LaCrosse", "trim": "CXS", "body": "Sedan 4D",
        "engine": "3.6L V6", "transmission": "4-Speed Automatic", "drive": "Front Wheel Drive", "fuel": "Gasoline",
    },
}  # fmt: skip


@dataclass
class ClearVinState:
    reports: dict[str, dict[str, str]] = field(default_factory=lambda: dict(REPORTS))
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    report_requests: list[str] = field(default_factory=list)
    fail_with: int | None = None


class ClearVinHandler(FakeHandler):
    def do_POST(self) -> None:
        if not urlsplit(self.path).path.endswith("/login"):
            self.send_json(404, {"status": "error", "message": "Not found"})
            return
        body = self.read_json() or {}
        self.state.logins += 1
        if body.get("email") != EMAIL or body.get("password") != PASSWORD:
            self.send_json(401, {"status": "error", "message": "Invalid credentials"})
            return
        token = secrets.token_hex(16)
        self.state.tokens.add(token)
        self.send_json(200, {"status": "ok", "token": token})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if not url.path.endswith("/report"):
            self.send_json(404, {"status": "error", "message": "Not found"})
            return
        if self.state.fail_with:
            self.send_json(self.state.fail_with, {"status": "error", "message": "Temporarily unavailable"})
            return
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.state.tokens:
            self.send_json(401, {"status": "error", "message": "Token expired"})
            return
        vin = (parse_qs(url.query).get("vin") or [""])[0].upper()
        self.state.report_requests.append(vin)
        decode = self.state.reports.get(vin)
        if decode is None:
            self.send_json(404, {"status": "error", "message": "No data for this VIN"})
            return
        self.send_json(
            200,
            {
                "status": "ok",
                "message": "",
                "result": {"id": 4242, "vin": vin, "report": {"decode": decode, "recalls": []}},
            },
        )


@pytest.fixture
def fake_clearvin(settings: Any) -> Iterator[ClearVinState]:
    state = ClearVinState()
    with run_fake_server(ClearVinHandler, state=state) as base_url:
        settings.CLEARVIN_API_URL = base_url + "/rest/vendor"
        settings.CLEARVIN_EMAIL = EMAIL
        settings.CLEARVIN_PASSWORD = PASSWORD
        yield state
