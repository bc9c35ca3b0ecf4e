"""One bid protocol: the same bids through the site's form, the API and the live room, answered alike.

A real web process (config/server.py) runs with production settings (config.settings.production) on the test's
MariaDB and on Redis. The doors: the site's form (session), the API as API clients use it (Bearer JSON: the bid
lane), the API's DRF view (the same request form-encoded) and the live room's socket (bearer subprotocol).
Each door bids on its own twin auction with its own twin bidders, in the same order:
valid bids, a refusal for each rule, malformed amounts (the grammar's hostile cases among them), an ended
auction, nobody logged in, a flood until throttled, and (API, the door with keys) a keyed bid, its replay, a
reused key and a malformed key. Every outcome, code and message must be the same at every door.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken
from websockets.sync.client import connect

from tests.fixtures.live_server import running_server

pytestmark = pytest.mark.django_db(transaction=True)
THROTTLE_BIDS = 15  # a minute, per bidder: the flood below reaches it, the other bidders stay under it

# (label, who, amount as the JSON doors send it, as the form sends it): None for the form means the form
# cannot send that value (a JSON number or list); MISSING sends no amount at all.
MISSING = object()


class Raw(str):
    """An amount written into the JSON text as is (a number in exponent form, which Python would not write)."""


def json_body(fields: dict[str, Any]) -> str:
    raw = {name: value for name, value in fields.items() if isinstance(value, Raw)}
    text = json.dumps({name: (f"@{name}@" if name in raw else value) for name, value in fields.items()})
    for name, value in raw.items():
        text = text.replace(f'"@{name}@"', value)
    return text


CASES: list[tuple[str, str, Any, Any]] = [
    ("first bid leads", "main", "6000", "6000"),
    ("not above own max", "main", "6000", "6000"),
    ("below the minimum", "other", "5050", "5050"),
    ("accepted but outbid", "other", "5500", "5500"),
    ("letters", "other", "abc", "abc"),
    ("full-width digits", "other", "６０５００", "６０５００"),
    ("exponent", "other", "6e5", "6e5"),
    ("exponent as a JSON number", "other", Raw("6e5"), None),
    ("plus sign", "other", "+600000", "+600000"),
    ("spaces", "other", " 600000 ", " 600000 "),
    ("a list", "other", [60000], None),
    ("negative", "other", "-5", "-5"),
    ("three decimals", "other", "7000.001", "7000.001"),
    ("no amount", "other", MISSING, MISSING),
    ("not eligible", "ineligible", "9000", "9000"),
    ("suspended", "suspended", "9000", "9000"),
    ("own vehicle", "seller", "9000", "9000"),
    ("auction ended", "ended", "9000", "9000"),
    ("nobody logged in", "anonymous", "9000", "9000"),
]


@dataclass
class Door:
    """One door's twin auction and bidders, and what it answered."""

    url: str
    auction: Any
    ended: Any
    users: dict[str, Any]
    answers: dict[str, tuple[bool, str | None, str]] = field(default_factory=dict)  # accepted, code, message


@pytest.fixture(scope="module")
def production_server(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = settings.DATABASES["default"]
    isolation = f"parity-{uuid.uuid4().hex[:8]}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"mysql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 3306}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": isolation,
        "CHANNEL_LAYER_PREFIX": f"asgi-{isolation}",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1; everything else as in production
        "CELERY_TASK_ALWAYS_EAGER": "true",  # no worker here: notifications are sent in the server
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "THROTTLE_BIDS": f"{THROTTLE_BIDS}/min",
        "LOG_LEVEL": "WARNING",
    }
    with running_server(tmp_path_factory.mktemp("production") / "server.log", **env) as url:
        yield url


def make_door(url: str, auction_factory: Any, bidder_factory: Any, user_factory: Any, make_eligible: Any) -> Door:
    auction = auction_factory()
    users = {
        "main": bidder_factory(),
        "other": bidder_factory(),
        "ineligible": user_factory(),
        "suspended": bidder_factory(suspended_at=timezone.now()),
        "seller": make_eligible(auction.seller),
        "ended": bidder_factory(),
        "flooder": bidder_factory(),
        "anonymous": None,
    }
    ended = auction_factory(ends_at=timezone.now() - timedelta(seconds=1))
    return Door(url, auction, ended, users)


def _target(door: Door, who: str) -> Any:
    return door.ended if who in ("ended", "flooder") else door.auction


def api_bid(door: Door, who: str, amount: Any, key: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if door.users[who] is not None:
        headers["Authorization"] = f"Bearer {AccessToken.for_user(door.users[who])}"
    if key is not None:
        headers["Idempotency-Key"] = key
    body = {} if amount is MISSING else {"amount": amount}
    return requests.post(
        f"{door.url}/api/auctions/{_target(door, who).pk}/bid", data=json_body(body), headers=headers, timeout=30
    )


def drf_bid(door: Door, who: str, amount: Any) -> requests.Response:
    """The API's DRF view: the same request with a form-encoded body, which the bid lane leaves to Django."""
    headers = {}
    if door.users[who] is not None:
        headers["Authorization"] = f"Bearer {AccessToken.for_user(door.users[who])}"
    data = {} if amount is MISSING else {"amount": amount}
    return requests.post(f"{door.url}/api/auctions/{_target(door, who).pk}/bid", data=data, headers=headers, timeout=30)


def api_answer(response: requests.Response) -> tuple[bool, str | None, str]:
    body = response.json()
    if response.status_code < 300:
        return True, "accepted", body["message"]
    return False, body["code"], body["error"]


def form_bid(door: Door, who: str, amount: Any) -> tuple[bool, str | None, str]:
    """The site's form, as a browser posts it (session cookie, CSRF token); the answer is the message the
    redirect carries back to the page (the messages cookie)."""
    target = _target(door, who)
    csrf = uuid.uuid4().hex  # a CSRF secret: the cookie and the form field carry the same one
    cookies = {"csrftoken": csrf}
    if door.users[who] is not None:
        client = Client()
        client.force_login(door.users[who])
        cookies["sessionid"] = client.cookies[settings.SESSION_COOKIE_NAME].value
    data = {"csrfmiddlewaretoken": csrf, "confirm": "1", "next": f"/vehicles/{target.vehicle_id}/"}
    if amount is not MISSING:
        data["amount"] = amount
    response = requests.post(
        f"{door.url}/auctions/{target.pk}/bid/", data=data, cookies=cookies, allow_redirects=False, timeout=30
    )
    assert response.status_code == 302, response.text[:500]
    (message,) = list(CookieStorage(HttpRequest())._decode(response.cookies["messages"]))
    accepted = message.level_tag in ("success", "warning")
    return accepted, ("accepted" if accepted else None), str(message)


class Room:
    """A live-room socket of one door's user (its access token in Sec-WebSocket-Protocol), or anonymous."""

    def __init__(self, door: Door, who: str) -> None:
        user = door.users[who]
        protocols = ["bearer", str(AccessToken.for_user(user))] if user is not None else None
        ws_url = door.url.replace("http://", "ws://") + f"/ws/auctions/{_target(door, who).pk}/"
        self.socket = connect(ws_url, subprotocols=protocols, open_timeout=30)  # type: ignore[arg-type]
        self.counter = 0

    def bid(self, amount: Any) -> tuple[bool, str | None, str]:
        self.counter += 1
        frame: dict[str, Any] = {"type": "bid_placed", "request_id": self.counter}
        if amount is not MISSING:
            frame["amount"] = amount
        self.socket.send(json_body(frame))
        while True:
            reply = json.loads(self.socket.recv(timeout=30))
            if reply.get("type") == "bid_update" and reply.get("request_id") == self.counter:
                break
        if reply["status"] == "accepted":
            return True, "accepted", reply["message"]
        return False, reply["code"], reply["error"]


def socket_bid(door: Door, rooms: dict[str, Room], who: str, amount: Any) -> tuple[bool, str | None, str]:
    if who not in rooms:
        rooms[who] = Room(door, who)
    return rooms[who].bid(amount)


def flood(bid: Any) -> tuple[bool, str | None, str]:
    """Bids until the `bids` rate limit answers (at most a few more than it allows)."""
    for _ in range(THROTTLE_BIDS + 3):
        answer = bid()
        if answer[1] == "throttled" or answer[2].startswith("Request was throttled"):  # the page shows no code
            return answer
    raise AssertionError(f"never throttled: {answer}")


def test_the_same_bids_get_the_same_answers_through_the_form_the_api_and_the_socket(
    production_server, auction_factory, bidder_factory, user_factory, make_eligible
):
    doors = {
        name: make_door(production_server, auction_factory, bidder_factory, user_factory, make_eligible)
        for name in ("form", "api", "drf", "socket")
    }
    rooms: dict[str, Room] = {}
    for label, who, json_amount, form_amount in CASES:
        doors["api"].answers[label] = api_answer(api_bid(doors["api"], who, json_amount))
        doors["socket"].answers[label] = socket_bid(doors["socket"], rooms, who, json_amount)
        if form_amount is not None:
            doors["form"].answers[label] = form_bid(doors["form"], who, form_amount)
            doors["drf"].answers[label] = api_answer(drf_bid(doors["drf"], who, form_amount))
    throttled = {
        "api": flood(lambda: api_answer(api_bid(doors["api"], "flooder", "9000"))),
        "drf": flood(lambda: api_answer(drf_bid(doors["drf"], "flooder", "9000"))),
        "socket": flood(lambda: socket_bid(doors["socket"], rooms, "flooder", "9000")),
        "form": flood(lambda: form_bid(doors["form"], "flooder", "9000")),
    }
    for room in rooms.values():
        room.socket.close()

    for label, _who, _json_amount, form_amount in CASES:
        api, socket = doors["api"].answers[label], doors["socket"].answers[label]
        assert api == socket, label
        if form_amount is not None:
            assert doors["drf"].answers[label] == api, label
            form = doors["form"].answers[label]
            assert (form[0], form[2]) == (api[0], api[2]), label  # the page shows no code: outcome and message
    answers = doors["api"].answers
    assert answers["first bid leads"] == (True, "accepted", "Bid accepted. You are the high bidder at $5,000.00.")
    assert answers["below the minimum"][1:] == (
        "below_minimum",
        "Your max must be at least the minimum next bid, $5,100.00.",
    )
    assert answers["accepted but outbid"][0] is True
    grammar = {label for label, *_ in CASES[4:13]}
    assert {answers[label][1] for label in grammar} == {"invalid_amount"}
    expected_codes = {
        "not above own max": "not_above_own_max",
        "no amount": "invalid_amount",
        "not eligible": "not_eligible",
        "suspended": "suspended",
        "own vehicle": "own_vehicle",
        "auction ended": "auction_ended",
        "nobody logged in": "not_authenticated",
    }
    assert {label: answers[label][1] for label in expected_codes} == expected_codes
    assert answers["nobody logged in"][2] == "Log in to bid."

    without_seconds = {
        door: (a[0], a[1] if door != "form" else "throttled", re.sub(r"\d+", "N", a[2]))
        for door, a in throttled.items()
    }
    assert set(without_seconds.values()) == {
        (False, "throttled", "Request was throttled. Expected available in N seconds.")
    }

    # keys: the API is the door that has them
    api = doors["api"]
    first = api_bid(api, "main", "7000", key="Parity-Key-1")
    again = api_bid(api, "main", "7000.00", key="parity-key-1")
    reused = api_bid(api, "main", "8000", key="parity-key-1")
    malformed = api_bid(api, "main", "8000", key="not a key")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (reused.status_code, reused.json()["code"]) == (409, "idempotency_key_reused")
    assert (malformed.status_code, malformed.json()["code"]) == (400, "invalid_idempotency_key")

    # every door stored the same bids (twin auctions, twin bids)
    stored = {
        name: list(door.auction.bids.order_by("seq").values_list("max_amount", flat=True))
        for name, door in doors.items()
    }
    assert stored["form"] == stored["drf"] == stored["socket"] == stored["api"][:2]
