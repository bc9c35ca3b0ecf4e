"""The offers API: shapes, every refusal a clear 4xx with its code and nothing stored, Idempotency-Key replays."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import CardOnFile
from auctions.models import Auction
from core.pricing import purchase_breakdown
from offers import services
from offers.models import OfferThread
from orders.models import Order
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(bidder_factory):
    return bidder_factory(state="MN")


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def make(client: APIClient, vehicle_id: int, amount, **headers):
    return client.post(f"/api/vehicles/{vehicle_id}/offers", {"amount": amount}, format="json", **headers)


def assert_error(response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"error", "code", "details"}, body
    assert body["code"] == code, body
    return body


def test_making_an_offer_answers_201_with_the_thread_and_the_total(offer_vehicle, buyer):
    response = make(api(buyer), offer_vehicle.pk, "8000.00")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "made"
    assert "with the seller" in body["message"]
    data = body["data"]
    assert data["status"] == "open"
    assert data["role"] == "buyer"
    assert data["turn"] == "seller"
    assert data["amount"] == "8000.00"
    assert data["your_turn"] is False
    assert data["can_withdraw"] is True
    expected = purchase_breakdown(price=Decimal("8000"), buyer_state="MN")
    assert data["total"]["total"] == str(expected.total)
    assert data["total"]["sales_tax"] == "550.00"
    assert [a["amount"] for a in data["amounts"]] == ["8000.00"]
    assert data["seller_name"]
    assert data["buyer"] is None


def test_a_json_number_is_read_exactly(offer_vehicle, buyer):
    response = api(buyer).post(
        f"/api/vehicles/{offer_vehicle.pk}/offers", data='{"amount": 8000.5}', content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["data"]["amount"] == "8000.50"


@pytest.mark.parametrize("amount", ["8,000", "-1", "0", "1e4", "10.005", "", None, True, [8000], "8000 "])
def test_amounts_outside_the_grammar_are_400_and_store_nothing(offer_vehicle, buyer, amount):
    assert_error(make(api(buyer), offer_vehicle.pk, amount), 400, "invalid_amount")
    assert not OfferThread.objects.exists()


def test_a_missing_amount_is_400(offer_vehicle, buyer):
    response = api(buyer).post(f"/api/vehicles/{offer_vehicle.pk}/offers", {}, format="json")
    assert_error(response, 400, "invalid_amount")


def test_every_refusal_at_the_door_is_a_clear_4xx_and_stores_nothing(
    offer_vehicle, offer_vehicle_factory, buyer, bidder_factory, auction_factory, make_eligible
):
    assert_error(make(api(buyer), offer_vehicle.pk, "12000"), 409, "use_buy_now")
    assert_error(make(api(make_eligible(offer_vehicle.seller)), offer_vehicle.pk, "8000"), 403, "own_vehicle")
    ineligible = bidder_factory()
    CardOnFile.objects.filter(user=ineligible).delete()
    body = assert_error(make(api(ineligible), offer_vehicle.pk, "8000"), 403, "not_eligible")
    assert body["details"]["missing"][0]["code"] == "card"
    suspended = bidder_factory(suspended_at=timezone.now())
    assert_error(make(api(suspended), offer_vehicle.pk, "8000"), 403, "suspended")
    live = auction_factory(vehicle__accepts_offers=True)
    assert_error(make(api(buyer), live.vehicle_id, "8000"), 409, "auction_live")
    sold = offer_vehicle_factory(status=Vehicle.Status.SOLD)
    assert_error(make(api(buyer), sold.pk, "8000"), 409, "vehicle_sold")
    closed = offer_vehicle_factory(accepts_offers=False)
    assert_error(make(api(buyer), closed.pk, "8000"), 409, "offers_closed")
    assert_error(make(api(buyer), 999999, "8000"), 404, "vehicle_not_found")
    assert make(APIClient(), offer_vehicle.pk, "8000").status_code == 401
    assert not OfferThread.objects.exists()


def test_answers_to_a_thread_and_their_codes(offer_vehicle, buyer, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    seller, client = api(offer_vehicle.seller), api(buyer)
    assert_error(client.post(f"/api/offers/{thread.pk}/accept"), 409, "not_your_turn")
    assert_error(
        client.post(f"/api/offers/{thread.pk}/counter", {"amount": "8100"}, format="json"), 409, "not_your_turn"
    )
    body = assert_error(
        seller.post(f"/api/offers/{thread.pk}/counter", {"amount": "7000"}, format="json"), 400, "counter_out_of_range"
    )
    assert body["details"]["min_exclusive"] == "8000.00"
    countered = seller.post(f"/api/offers/{thread.pk}/counter", {"amount": "11000"}, format="json")
    assert countered.status_code == 200
    assert countered.json()["outcome"] == "countered"
    detail = client.get(f"/api/offers/{thread.pk}").json()
    assert detail["your_turn"] is True
    assert detail["can_counter"] is True
    assert (detail["counter_min_exclusive"], detail["counter_max"], detail["counter_max_inclusive"]) == (
        "8000.00",
        "11000.00",
        False,
    )
    assert_error(seller.post(f"/api/offers/{thread.pk}/withdraw"), 409, "offer_seen")  # the buyer just read it
    assert_error(api(bidder_factory()).get(f"/api/offers/{thread.pk}"), 404, "offer_not_found")
    declined = client.post(f"/api/offers/{thread.pk}/decline")
    assert declined.status_code == 200
    assert declined.json()["data"]["status"] == "declined"
    assert_error(seller.post(f"/api/offers/{thread.pk}/accept"), 409, "declined")


def test_counter_limit_expired_and_sold_to_another_codes(offer_vehicle, buyer, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    seller, client = api(offer_vehicle.seller), api(buyer)
    for seller_amount, buyer_amount in (("11000", "8500"), ("10500", "9000"), ("10000", "9500")):
        assert (
            seller.post(f"/api/offers/{thread.pk}/counter", {"amount": seller_amount}, format="json").status_code == 200
        )
        assert (
            client.post(f"/api/offers/{thread.pk}/counter", {"amount": buyer_amount}, format="json").status_code == 200
        )
    assert_error(
        seller.post(f"/api/offers/{thread.pk}/counter", {"amount": "9800"}, format="json"), 409, "counter_limit"
    )

    expiring = make_offer(offer_vehicle, bidder_factory(), "7000")
    OfferThread.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(seller.post(f"/api/offers/{expiring.pk}/accept"), 409, "expired")

    loser = make_offer(offer_vehicle, bidder_factory(), "7500")
    assert seller.post(f"/api/offers/{thread.pk}/accept").status_code == 200
    assert_error(seller.post(f"/api/offers/{loser.pk}/accept"), 409, "sold_to_another")


def test_the_list_filters_by_role_and_status(offer_vehicle, buyer, bidder_factory, make_offer):
    open_thread = make_offer(offer_vehicle, buyer, "8000")
    other_vehicle = offer_vehicle.__class__.objects.create(
        **{f.name: getattr(offer_vehicle, f.name) for f in offer_vehicle._meta.concrete_fields
           if f.name not in ("id", "vin", "listing_price", "in_inventory", "ending_rank")},
        vin="1HGCM82633A004352",
    )  # fmt: skip
    declined = make_offer(other_vehicle, buyer, "7000")
    services.offer_decline(thread_id=declined.pk, actor=offer_vehicle.seller)
    client = api(buyer)
    listed = client.get("/api/offers").json()
    assert listed["count"] == 2
    assert {r["id"] for r in listed["results"]} == {open_thread.pk, declined.pk}
    assert [r["id"] for r in client.get("/api/offers?status=open").json()["results"]] == [open_thread.pk]
    assert [r["id"] for r in client.get("/api/offers?status=ended").json()["results"]] == [declined.pk]
    assert client.get("/api/offers?status=waiting").json()["count"] == 0
    seller_view = api(offer_vehicle.seller).get("/api/offers?role=seller&status=waiting").json()
    assert [r["id"] for r in seller_view["results"]] == [open_thread.pk]
    assert seller_view["results"][0]["buyer_name"] == "Buyer 1"
    assert seller_view["results"][0]["buyer"] == {"alias": "Buyer 1", "verified": True, "purchases": 0}
    assert_error(client.get("/api/offers?role=admin"), 400, "invalid_filter")
    assert_error(client.get("/api/offers?status=nope"), 400, "invalid_filter")
    assert_error(client.get("/api/offers?vehicle=x"), 400, "invalid_filter")


def test_the_same_idempotency_key_replays_the_first_answer(offer_vehicle, buyer):
    client = api(buyer)
    first = make(client, offer_vehicle.pk, "8000", HTTP_IDEMPOTENCY_KEY="Key-123")
    again = make(client, offer_vehicle.pk, "8000.00", HTTP_IDEMPOTENCY_KEY="key-123")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert OfferThread.objects.count() == 1
    assert_error(make(client, offer_vehicle.pk, "8100", HTTP_IDEMPOTENCY_KEY="key-123"), 409, "idempotency_key_reused")
    assert_error(
        make(client, offer_vehicle.pk, "8100", HTTP_IDEMPOTENCY_KEY="no spaces"), 400, "invalid_idempotency_key"
    )


def test_a_refused_keyed_write_stores_no_key(offer_vehicle, buyer):
    client = api(buyer)
    assert_error(make(client, offer_vehicle.pk, "12000", HTTP_IDEMPOTENCY_KEY="k-1"), 409, "use_buy_now")
    assert make(client, offer_vehicle.pk, "12000", HTTP_IDEMPOTENCY_KEY="k-1").status_code == 409, "not replayed"


def test_an_expiry_found_by_a_keyed_accept_keeps_no_key(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    OfferThread.objects.filter(pk=thread.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    seller = api(offer_vehicle.seller)
    assert_error(seller.post(f"/api/offers/{thread.pk}/accept", HTTP_IDEMPOTENCY_KEY="a-1"), 409, "expired")
    assert_error(seller.post(f"/api/offers/{thread.pk}/accept", HTTP_IDEMPOTENCY_KEY="a-1"), 409, "expired")
    assert not Order.objects.exists()


def test_the_reserve_counter_and_best_offer_endpoints(auction_factory, bidder_factory, place_bid):
    from auctions.services import auction_close

    auction = auction_factory(reserve_price=Decimal("9000"))
    high = bidder_factory()
    place_bid(auction, high, "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    best = api(high).post(f"/api/auctions/{auction.pk}/best-offer", {"amount": "8000"}, format="json")
    assert best.status_code == 201
    assert best.json()["data"]["kind"] == "best_offer"
    assert_error(
        api(auction.seller).post(f"/api/auctions/{auction.pk}/counter-offer", {"amount": "8500"}, format="json"),
        409,
        "best_offer_pending",
    )
    Auction.objects.filter(pk=auction.pk).update(decision_deadline=timezone.now() - timedelta(seconds=1))
    assert_error(
        api(high).post(f"/api/auctions/{auction.pk}/best-offer", {"amount": "8100"}, format="json"),
        409,
        "decision_expired",
    )


def test_the_price_preview(buyer):
    body = api(buyer).get("/api/offers/price-preview?amount=8000").json()
    assert body["total"]["total"] == str(purchase_breakdown(price=Decimal("8000"), buyer_state="MN").total)
    assert_error(api(buyer).get("/api/offers/price-preview?amount=8e3"), 400, "invalid_amount")


def test_offer_writes_are_throttled(monkeypatch, offer_vehicle, buyer):
    from core.throttles import Rates

    monkeypatch.setattr(Rates, "THROTTLE_RATES", {"offers": "2/min"})  # a fresh buyer: fresh counts
    client = api(buyer)
    statuses = [make(client, offer_vehicle.pk, "99999999").status_code for _ in range(3)]
    assert statuses == [409, 409, 429]


def test_the_schema_documents_the_offers_api_with_real_shapes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/offers",
        "/api/offers/{thread_id}",
        "/api/offers/{thread_id}/accept",
        "/api/offers/{thread_id}/counter",
        "/api/vehicles/{vehicle_id}/offers",
    ):
        assert path in paths, path
    accept = paths["/api/offers/{thread_id}/accept"]["post"]
    assert accept["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/OfferResultOutput")
    assert accept["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert any(p["name"] == "Idempotency-Key" for p in accept["parameters"])
    components = schema["components"]["schemas"]
    assert {"amount", "turn", "total", "amounts"} <= set(components["OfferThreadDetailOutput"]["properties"])


def test_the_dashboard_counts_offers_waiting_for_me(offer_vehicle, buyer, make_offer):
    make_offer(offer_vehicle, buyer, "8000")
    counts = api(offer_vehicle.seller).get("/api/users/dashboard").json()["data"]["counts"]
    assert counts["offers_waiting"] == 1
    assert api(buyer).get("/api/users/dashboard").json()["data"]["counts"]["offers_waiting"] == 0
