"""The HTTP bid lane answers exactly as the DRF view does (status, body, and the API middleware's headers),
request by request, and hands everything unusual to Django."""

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from auctions.apis.fast_lane import BidLane
from auctions.models import Bid
from config.asgi import application
from core.api import DATABASE_DOWN_MESSAGE

pytestmark = pytest.mark.django_db(transaction=True)
LANE: BidLane = application.application_mapping["http"]
DYNAMIC_HEADERS = {b"content-length", b"x-request-id"}
# What the API's middleware chain adds to every answer (the lane's go through it too); `Allow` and `Vary:
# Accept` are DRF's own, for its content negotiation.
CHAIN_HEADERS = {
    b"x-frame-options",
    b"x-content-type-options",
    b"referrer-policy",
    b"cross-origin-opener-policy",
    b"strict-transport-security",
    b"content-type",
}
VARYING = {"id", "auction_id", "vehicle_id", "placed_at", "starts_at", "ends_at", "server_time"}


class Spy:
    """Stands in for Django behind the lane and counts what was handed to it."""

    def __init__(self, app: Any) -> None:
        self.app, self.calls = app, 0
        self.answer = app.answer  # the lane's own answers still go out through the API's middleware

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture
def django_spy(monkeypatch):
    spy = Spy(LANE.django)
    monkeypatch.setattr(LANE, "django", spy)
    return spy


def call(app: Any, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict, bytes]:
    async def run() -> tuple[int, dict, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        communicator = ApplicationCommunicator(app, scope)
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(timeout=20)
        content = b""
        while True:
            message = await communicator.receive_output(timeout=20)
            content += message.get("body", b"")
            if not message.get("more_body"):
                break
        return start["status"], dict(start["headers"]), content

    return async_to_sync(run)()


def bearer(user) -> list[tuple[bytes, bytes]]:
    return [
        (b"authorization", f"Bearer {AccessToken.for_user(user)}".encode()),
        (b"content-type", b"application/json"),
    ]


def normalized(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("…" if k in VARYING and v is not None else normalized(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def assert_same(lane_answer: tuple[int, dict, bytes], django_answer: tuple[int, dict, bytes]) -> None:
    import json

    (status_a, headers_a, body_a), (status_b, headers_b, body_b) = lane_answer, django_answer
    assert status_a == status_b, (body_a, body_b)
    chain = lambda headers: {k.lower(): v for k, v in headers.items() if k.lower() in CHAIN_HEADERS}  # noqa: E731
    assert chain(headers_a) == chain(headers_b)
    assert {k.lower() for k in headers_a} >= CHAIN_HEADERS - {b"strict-transport-security"}
    assert {k.lower() for k in headers_a} >= DYNAMIC_HEADERS
    assert normalized(json.loads(body_a)) == normalized(json.loads(body_b))


def test_the_lane_answers_every_bid_outcome_as_the_drf_view_does(
    auction_factory, bidder_factory, user_factory, django_spy
):
    """Twin auctions, the same bids: one through the lane, one through Django (the lane's own fallback)."""
    lane_auction, django_auction = auction_factory(), auction_factory()
    ended = [auction_factory(ends_at=timezone.now() - timedelta(seconds=1)) for _ in range(2)]
    first, second, not_ready = bidder_factory(), bidder_factory(), user_factory()
    cases = [
        (first, "bid", b'{"amount": "6000"}'),  # 201 leading
        (second, "auto-bid", b'{"max_amount": 5500}'),  # 201 outbid by first's max
        (second, "bid", b'{"amount": "5100"}'),  # 400 below the minimum
        (second, "bid", b'{"amount": "abc"}'),  # 400 invalid amount
        (second, "bid", b'{"amount": "-5"}'),  # 400 not positive
        (second, "bid", b'{"amount": "7000.001"}'),  # 400 three decimals
        (first, "bid", b'{"amount": "6000"}'),  # 400 not above own max
        (not_ready, "bid", b'{"amount": "9000"}'),  # 403 not eligible, with what is missing
        (None, "bid", b'{"amount": "9000"}'),  # 403 own vehicle (the seller)
        (second, "bid", b'{"amount": "8000"}'),  # 201 takes the lead
    ]
    for user, endpoint, body in cases:
        lane_user = user or lane_auction.seller
        django_user = user or django_auction.seller
        lane_answer = call(LANE, f"/api/auctions/{lane_auction.pk}/{endpoint}", body, bearer(lane_user))
        django_answer = call(LANE.django, f"/api/auctions/{django_auction.pk}/{endpoint}", body, bearer(django_user))
        assert_same(lane_answer, django_answer)
    for path in (f"/api/auctions/{ended[0].pk}/bid", "/api/auctions/99999999/bid"):  # 409 ended, 404 missing
        other = path if "99999999" in path else f"/api/auctions/{ended[1].pk}/bid"
        assert_same(
            call(LANE, path, b'{"amount": "9000"}', bearer(first)),
            call(LANE.django, other, b'{"amount": "9000"}', bearer(first)),
        )

    unparseable = 3  # "abc", "-5", "7000.001": Django refuses them, after DRF authenticated the request
    assert django_spy.calls == len(cases) + 2 + unparseable  # the twins, and those three: the lane answered the rest
    assert list(Bid.objects.filter(auction=lane_auction).values_list("max_amount", flat=True).order_by("seq")) == [
        Decimal("6000"),
        Decimal("5500"),
        Decimal("8000"),
    ]


def test_bids_posted_to_the_bid_history_path_are_answered_as_its_drf_view_answers_them(
    auction_factory, bidder_factory, django_spy
):
    """`POST /api/bids/auction/<id>` (the other documented way to bid) takes the lane too."""
    lane_auction, django_auction = auction_factory(), auction_factory()
    buyer = bidder_factory()
    for body in (b'{"amount": "6000"}', b'{"amount": "6000"}', b'{"amount": "7000.5"}'):  # 201, 400, 201
        lane_answer = call(LANE, f"/api/bids/auction/{lane_auction.pk}", body, bearer(buyer))
        django_answer = call(LANE.django, f"/api/bids/auction/{django_auction.pk}", body, bearer(buyer))
        assert_same(lane_answer, django_answer)
    assert django_spy.calls == 3  # only the twins
    assert Bid.objects.filter(auction=lane_auction).count() == 2


def test_bids_with_an_idempotency_key_are_answered_as_the_drf_view_answers_them(
    auction_factory, bidder_factory, django_spy
):
    """Twin auctions and twin bidders, the same keyed requests: the lane answers them all itself (the batch
    replays stored answers), and every answer is the view's."""
    lane_auction, django_auction = auction_factory(), auction_factory()
    lane_buyer, django_buyer = bidder_factory(), bidder_factory()
    cases = [
        (b"k-1", b'{"amount": "6000"}', False),  # 201, stored with its key
        (b"k-1", b'{"amount": "6000.00"}', True),  # the retry: the first response, Idempotent-Replayed
        (b"K-1", b'{"amount": "6000"}', True),  # keys compare without regard to case
        (b"k-1", b'{"amount": "7000"}', True),  # 409 the key was used for another request
        (b"k-2", b'{"amount": "6000"}', False),  # 400 not above own max: refused, the key is not kept
        (b"k-2", b'{"amount": "8000"}', False),  # 201 so the same key may bid again
        (b"  ", b'{"amount": "9000"}', False),  # a blank key is no key: 201
    ]
    for key, body, _replayed in cases:
        calls_before = django_spy.calls
        headers = [(b"idempotency-key", key)]
        lane_answer = call(LANE, f"/api/auctions/{lane_auction.pk}/bid", body, [*bearer(lane_buyer), *headers])
        assert django_spy.calls == calls_before, (key, body)
        django_answer = call(
            LANE.django, f"/api/auctions/{django_auction.pk}/bid", body, [*bearer(django_buyer), *headers]
        )
        assert_same(lane_answer, django_answer)
    statuses_and_replays = [(201, True), (409, False)]
    for key, body, (status, replay_header) in zip(
        [b"k-1", b"k-1"], [b'{"amount": "6000"}', b'{"amount": "7000"}'], statuses_and_replays, strict=True
    ):
        answer = call(
            LANE, f"/api/auctions/{lane_auction.pk}/bid", body, [*bearer(lane_buyer), (b"idempotency-key", key)]
        )
        assert answer[0] == status
        assert (b"idempotent-replayed" in {name.lower() for name in answer[1]}) is replay_header
    stored = Bid.objects.filter(auction=lane_auction).order_by("seq")
    assert [b.max_amount for b in stored] == [Decimal("6000"), Decimal("8000"), Decimal("9000")]


def test_a_key_sent_twice_at_once_bids_once_and_both_get_the_first_response(live_auction, bidder_factory):
    """A client that retries before its first request was answered: both requests may meet in one batch; one
    bid is placed, and both answers are its response."""
    import asyncio

    buyer = bidder_factory()
    path = f"/api/auctions/{live_auction.pk}/bid"
    headers = [(b"host", b"127.0.0.1"), (b"content-length", b"18"), *bearer(buyer), (b"idempotency-key", b"twice")]

    async def one() -> tuple[int, dict]:
        scope = {"type": "http", "method": "POST", "scheme": "http", "path": path, "query_string": b""}
        communicator = ApplicationCommunicator(LANE, {**scope, "headers": headers, "client": ("127.0.0.1", 1)})
        await communicator.send_input({"type": "http.request", "body": b'{"amount": "6000"}', "more_body": False})
        start = await communicator.receive_output(timeout=30)
        content = await communicator.receive_output(timeout=30)
        return start["status"], json.loads(content["body"])

    async def both() -> list[tuple[int, dict]]:
        return list(await asyncio.gather(one(), one()))

    (status_a, body_a), (status_b, body_b) = async_to_sync(both)()
    assert status_a == status_b == 201, (body_a, body_b)
    assert body_a["data"]["bid"]["id"] == body_b["data"]["bid"]["id"]
    assert Bid.objects.filter(auction=live_auction).count() == 1


@pytest.mark.parametrize(
    "case",
    [
        "no token",
        "bad token",
        "inactive user",
        "unknown user",
        "user id not a number",
        "no user id",
        "idempotency key too long",
        "malformed json",
        "form body",
    ],
)
def test_unusual_requests_are_handed_to_django_unchanged(live_auction, bidder_factory, django_spy, case):
    buyer = bidder_factory()
    headers = bearer(buyer)
    body = b'{"amount": "6000"}'
    if case == "no token":
        headers = [(b"content-type", b"application/json")]
    elif case == "bad token":
        headers = [(b"authorization", b"Bearer not.a.token"), (b"content-type", b"application/json")]
    elif case == "inactive user":
        buyer.is_active = False
        buyer.save(update_fields=["is_active"])
    elif case in ("unknown user", "user id not a number", "no user id"):
        token = AccessToken.for_user(buyer)
        if case == "no user id":
            del token["user_id"]
        else:
            token["user_id"] = "999999999" if case == "unknown user" else "abc"  # validly signed, no such user
        headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]
    elif case == "idempotency key too long":
        headers = [*headers, (b"idempotency-key", b"k" * 101)]
    elif case == "malformed json":
        body = b'{"amount": '
    elif case == "form body":
        headers = [headers[0], (b"content-type", b"application/x-www-form-urlencoded")]
        body = b"amount=6000"
    path = f"/api/auctions/{live_auction.pk}/bid"
    status, _headers, content = call(LANE, path, body, headers)
    assert django_spy.calls == 1
    expected = {
        "no token": 401,
        "bad token": 401,
        "inactive user": 401,
        "unknown user": 401,
        "user id not a number": 401,
        "no user id": 401,
        "idempotency key too long": 400,
        "malformed json": 400,
        "form body": 201,
    }[case]
    assert status == expected, content
    assert Bid.objects.filter(auction=live_auction).count() == (1 if expected == 201 else 0)


def test_a_gone_user_s_token_with_a_bad_amount_gets_the_401_as_from_drf(live_auction, bidder_factory, django_spy):
    """DRF authenticates before it reads the body: an amount the lane cannot parse is Django's to answer."""
    buyer = bidder_factory()
    headers = bearer(buyer)
    buyer.is_active = False
    buyer.save(update_fields=["is_active"])
    status, _, content = call(LANE, f"/api/auctions/{live_auction.pk}/bid", b'{"amount": "abc"}', headers)
    assert (status, django_spy.calls) == (401, 1), content


def test_a_throttled_bidder_gets_the_429_with_retry_after(live_auction, bidder_factory, django_spy, monkeypatch):
    """The one admission rule (core/throttles.py), answered in the lane as the DRF view answers it."""
    from rest_framework.settings import api_settings

    from core.throttles import Rates

    monkeypatch.setattr(Rates, "THROTTLE_RATES", {**api_settings.DEFAULT_THROTTLE_RATES, "bids": "2/min"})
    buyer = bidder_factory()
    path = f"/api/auctions/{live_auction.pk}/bid"
    answers = [call(LANE, path, f'{{"amount": "{6000 + 1000 * i}"}}'.encode(), bearer(buyer)) for i in range(3)]
    assert [status for status, _, _ in answers] == [201, 201, 429]
    assert b"retry-after" in {k.lower() for k in answers[2][1]}
    assert json.loads(answers[2][2])["code"] == "throttled"
    assert django_spy.calls == 0
    assert Bid.objects.filter(auction=live_auction).count() == 2


def test_without_redis_every_bid_goes_through_django(live_auction, bidder_factory, django_spy, monkeypatch):
    """`make run` has no Redis for the throttles: the lane steps aside and the DRF view (with its cache-based
    throttles) answers."""
    monkeypatch.setattr("core.shared_redis._url", lambda: None)  # what the shared clients and throttles read
    status, _, content = call(
        LANE, f"/api/auctions/{live_auction.pk}/bid", b'{"amount": "6000"}', bearer(bidder_factory())
    )
    assert status == 201, content
    assert django_spy.calls == 1
    assert Bid.objects.filter(auction=live_auction).count() == 1


def test_bids_arriving_together_are_batched_and_every_answer_matches_what_was_stored(
    live_auction, bidder_factory, django_spy
):
    """Twenty lane requests at once from one event loop: they are decided in batches, each gets its own
    answer, the accepted ones are exactly the stored bids, and the stored bids replay to the stored state."""
    import asyncio
    import json

    from auctions import engine
    from auctions.models import Auction
    from auctions.services.increments import increment_table

    bidders = [bidder_factory() for _ in range(20)]
    path = f"/api/auctions/{live_auction.pk}/bid"

    async def one(index: int) -> tuple[int, dict]:
        scope = {
            "type": "http",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1"), *bearer(bidders[index])],
            "client": ("127.0.0.1", 40000 + index),
        }
        communicator = ApplicationCommunicator(LANE, scope)
        body = json.dumps({"amount": str(6000 + 100 * index)}).encode()
        await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
        start = await communicator.receive_output(timeout=30)
        content = await communicator.receive_output(timeout=30)
        return start["status"], json.loads(content["body"])

    async def all_at_once() -> list[tuple[int, dict]]:
        return await asyncio.gather(*(one(i) for i in range(20)))

    answers = async_to_sync(all_at_once)()
    assert django_spy.calls == 0
    assert {status for status, _ in answers} <= {201, 400}
    accepted = sorted(body["data"]["bid"]["seq"] for status, body in answers if status == 201)
    assert all(body["details"].get("minimum_bid") for status, body in answers if status == 400)
    bids = list(Bid.objects.filter(auction=live_auction).order_by("seq"))
    assert [b.seq for b in bids] == accepted == list(range(1, len(accepted) + 1))
    auction = Auction.objects.get(pk=live_auction.pk)
    replayed = engine.replay(
        auction.terms(increment_table()), [engine.ReplayBid(b.bidder_id, b.max_amount, b.seq) for b in bids]
    )
    assert replayed == auction.state()
    assert auction.leader_id == bidders[-1].pk  # the highest max leads, whatever the batching


def test_one_key_sent_to_two_auctions_at_once_bids_on_one_and_the_other_is_refused(auction_factory, bidder_factory):
    """The two bids are decided in different transactions (one lock each): the unique key decides; the loser
    places nothing and is answered 409, whichever of the two won."""
    import asyncio

    first_auction, second_auction = auction_factory(), auction_factory()
    buyer = bidder_factory()
    headers = [(b"host", b"127.0.0.1"), (b"content-length", b"18"), *bearer(buyer), (b"idempotency-key", b"one-key")]

    async def one(auction_id: int) -> tuple[int, dict]:
        scope = {"type": "http", "method": "POST", "scheme": "http", "query_string": b"", "headers": headers}
        scope |= {"path": f"/api/auctions/{auction_id}/bid", "client": ("127.0.0.1", 1)}
        communicator = ApplicationCommunicator(LANE, scope)
        await communicator.send_input({"type": "http.request", "body": b'{"amount": "6000"}', "more_body": False})
        start = await communicator.receive_output(timeout=30)
        content = await communicator.receive_output(timeout=30)
        return start["status"], json.loads(content["body"])

    async def both() -> list[tuple[int, dict]]:
        return list(await asyncio.gather(one(first_auction.pk), one(second_auction.pk)))

    answers = async_to_sync(both)()
    assert sorted(status for status, _ in answers) == [201, 409], answers
    assert next(body for status, body in answers if status == 409)["error"]
    assert Bid.objects.filter(auction__in=[first_auction, second_auction]).count() == 1


def test_a_bid_records_the_connection_s_address_not_one_the_client_claims(auction_factory, bidder_factory):
    """The lane and the DRF view record the same address: the connection's (daphne's, which --proxy-headers
    takes from the load balancer's X-Forwarded-For); the header itself is not read by the app."""
    lane_auction, django_auction = auction_factory(), auction_factory()
    buyer = bidder_factory()
    spoofed = [*bearer(buyer), (b"x-forwarded-for", b"6.6.6.6"), (b"user-agent", b"bidder-bot/1.0")]
    assert call(LANE, f"/api/auctions/{lane_auction.pk}/bid", b'{"amount": "6000"}', spoofed)[0] == 201
    assert call(LANE.django, f"/api/auctions/{django_auction.pk}/bid", b'{"amount": "6000"}', spoofed)[0] == 201
    recorded = Bid.objects.filter(auction__in=[lane_auction, django_auction]).values_list("ip_address", "user_agent")
    assert list(recorded) == [("127.0.0.1", "bidder-bot/1.0")] * 2


def test_the_database_down_is_a_503_with_retry_after_from_the_lane_and_from_django(
    live_auction, bidder_factory, django_spy, monkeypatch
):
    """MariaDB gone when the bid is to lock its auction: the lane and the DRF view both answer 503 with
    Retry-After and the same body, and nothing is stored."""
    from django.db import OperationalError

    from auctions.services import bid_batch

    def database_gone(*args, **kwargs):
        raise OperationalError(2006, "MySQL server has gone away")

    monkeypatch.setattr(bid_batch, "_lock", database_gone)
    path, body, buyer = f"/api/auctions/{live_auction.pk}/bid", b'{"amount": "6000"}', bidder_factory()
    lane = call(LANE, path, body, [*bearer(buyer), (b"idempotency-key", b"k-503")])
    through_django = call(LANE.django, path, body, [*bearer(buyer), (b"idempotency-key", b"k-503")])
    assert django_spy.calls == 1  # only the second went through Django
    for status, headers, content in (lane, through_django):
        assert status == 503
        assert {name.lower(): value for name, value in headers.items()}[b"retry-after"] == b"5"
        assert json.loads(content) == {"error": DATABASE_DOWN_MESSAGE, "code": "unavailable", "details": {}}
    assert not Bid.objects.filter(auction=live_auction).exists()


def test_an_unconfirmed_bid_is_answered_as_the_drf_view_does(live_auction, bidder_factory, django_spy, monkeypatch):
    """A 503 that is not the database being down (the commit's answer was lost) carries no Retry-After,
    from either path."""
    from auctions.services import bid_batch

    def commit_lost(*args, **kwargs):
        raise bid_batch.BidUnconfirmed("Your bid could not be confirmed. Look at the auction before you bid again.")

    monkeypatch.setattr(bid_batch, "run_batch", commit_lost)
    path, body, buyer = f"/api/auctions/{live_auction.pk}/bid", b'{"amount": "6000"}', bidder_factory()
    lane = call(LANE, path, body, bearer(buyer))
    through_django = call(LANE.django, path, body, bearer(buyer))
    assert django_spy.calls == 1
    assert lane[0] == 503
    assert b"retry-after" not in {name.lower() for name in lane[1]}
    assert_same(lane, through_django)


def test_a_5000_deep_json_bid_is_django_s_400_never_a_500(live_auction, bidder_factory, django_spy):
    """A hostile body is parsed by the one bounded loader (core.parsers.loads_json): the lane hands it to
    Django, whose parser answers 400 parse_error with the error body."""
    body = ("[" * 5000 + "]" * 5000).encode()
    status, _, content = call(LANE, f"/api/auctions/{live_auction.pk}/bid", body, bearer(bidder_factory()))
    assert (status, django_spy.calls) == (400, 1), content
    assert json.loads(content)["code"] == "parse_error"
    assert not Bid.objects.filter(auction=live_auction).exists()
