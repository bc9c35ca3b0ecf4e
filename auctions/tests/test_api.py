"""The documented HTTP API: bidding (errors, idempotency), lists and filters, scheduling, bids, favorites, preview."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.models import Auction, Bid
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def buyer(bidder_factory):
    return bidder_factory()


@pytest.fixture
def as_buyer(auth_client, buyer):
    return auth_client(buyer)


def bid(client, auction, amount, **headers):
    return client.post(f"/api/auctions/{auction.pk}/bid", {"amount": amount}, format="json", **headers)


def test_bid_over_http_returns_201_with_result_and_state(as_buyer, live_auction):
    response = bid(as_buyer, live_auction, "6000")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["message"].startswith("Bid accepted")
    assert body["data"]["result"] == "leading"
    assert body["data"]["auction"]["price"] == "5000.00"
    assert body["data"]["auction"]["seq"] == 1
    assert body["data"]["bid"]["bidder_alias"] == "Bidder 1"


def test_json_number_amount_is_exact(as_buyer, live_auction):
    response = as_buyer.post(
        f"/api/auctions/{live_auction.pk}/bid", data='{"amount": 6000.10}', content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert Bid.objects.get().max_amount == D("6000.10")


@pytest.mark.parametrize(
    ("amount", "status", "code_fragment"),
    [
        ("abc", 400, "must be digits"),
        ("-100", 400, "no commas, signs"),
        ("6000.123", 400, "two decimal"),
        ("4000", 400, "minimum next bid"),
    ],
)
def test_bad_bids_over_http_are_clear_errors_and_store_nothing(as_buyer, live_auction, amount, status, code_fragment):
    response = bid(as_buyer, live_auction, amount)
    assert response.status_code == status
    body = response.json()
    assert code_fragment in body["error"]
    assert "details" in body
    assert not Bid.objects.exists()


def test_below_minimum_error_names_the_minimum(as_buyer, live_auction):
    body = bid(as_buyer, live_auction, "4999").json()
    assert (body["code"], body["details"]) == ("below_minimum", {"minimum_bid": "5000.00"})


def test_bid_on_own_vehicle_is_403(auth_client, live_auction, make_eligible):
    response = bid(auth_client(make_eligible(live_auction.seller)), live_auction, "6000")
    assert response.status_code == 403
    assert "own vehicle" in response.json()["error"]


def test_a_seller_who_could_not_bid_anywhere_is_told_it_is_their_own_vehicle(auth_client, auction_factory):
    """Rule 6's own-vehicle refusal comes before eligibility: a seller without an ID check or card is not sent
    off to add them in order to bid on (or buy) their own car."""
    auction = auction_factory(buy_now_price=D("20000"))
    seller = auth_client(auction.seller)
    for path in (f"/api/auctions/{auction.pk}/bid", f"/api/bids/auction/{auction.pk}"):
        response = seller.post(path, {"amount": "6000"}, format="json")
        assert (response.status_code, response.json()["error"]) == (403, "You cannot bid on your own vehicle.")
    response = seller.post(f"/api/auctions/{auction.pk}/buy-now", {"expected_price": "20000.00"}, format="json")
    assert (response.status_code, response.json()["error"]) == (403, "You cannot buy your own vehicle.")
    assert not Bid.objects.filter(auction=auction).exists()


def test_bid_on_ended_auction_is_409(as_buyer, auction_factory):
    auction = auction_factory(ends_at=timezone.now() - timedelta(seconds=1))
    response = bid(as_buyer, auction, "6000")
    assert response.status_code == 409
    assert "ended" in response.json()["error"]


def test_bid_by_ineligible_user_is_403_with_what_is_missing(auth_client, user_factory, live_auction):
    response = bid(auth_client(user_factory()), live_auction, "6000")
    assert response.status_code == 403
    assert "email" in [m["code"] for m in response.json()["details"]["missing"]]


def test_bid_by_suspended_user_is_403(auth_client, bidder_factory, live_auction):
    response = bid(auth_client(bidder_factory(suspended_at=timezone.now())), live_auction, "6000")
    assert response.status_code == 403
    assert "suspended" in response.json()["error"]
    assert not Bid.objects.exists()


def test_bid_on_missing_auction_is_404(as_buyer):
    response = as_buyer.post("/api/auctions/999999/bid", {"amount": "6000"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == "Auction not found."


def test_anonymous_bid_is_401(api_client, live_auction):
    response = bid(api_client, live_auction, "6000")
    assert response.status_code == 401
    assert "error" in response.json()


def test_idempotency_key_returns_the_first_response_instead_of_bidding_twice(as_buyer, live_auction):
    first = bid(as_buyer, live_auction, "6000", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = bid(as_buyer, live_auction, "6000", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Bid.objects.count() == 1


@pytest.mark.parametrize("key", ["k" * 101, "two words", "ключ"])
def test_a_malformed_idempotency_key_is_a_400_and_places_nothing(as_buyer, live_auction, key):
    response = bid(as_buyer, live_auction, "6000", HTTP_IDEMPOTENCY_KEY=key)
    assert (response.status_code, response.json()["code"]) == (400, "invalid_idempotency_key")
    assert not Bid.objects.exists()


def test_reused_idempotency_key_for_another_amount_is_refused(as_buyer, live_auction):
    bid(as_buyer, live_auction, "6000", HTTP_IDEMPOTENCY_KEY="retry-2")
    response = bid(as_buyer, live_auction, "7000", HTTP_IDEMPOTENCY_KEY="retry-2")
    assert (response.status_code, response.json()["code"]) == (409, "idempotency_key_reused")
    assert Bid.objects.count() == 1


def test_auto_bid_and_bids_auction_post_use_the_same_service(as_buyer, auth_client, bidder_factory, live_auction):
    assert (
        as_buyer.post(f"/api/auctions/{live_auction.pk}/auto-bid", {"max_amount": "8000"}, format="json").status_code
        == 201
    )
    other = auth_client(bidder_factory())
    response = other.post(f"/api/bids/auction/{live_auction.pk}", {"amount": "6000"}, format="json")
    assert response.status_code == 201
    assert response.json()["data"]["result"] == "outbid"
    assert Auction.objects.get().current_price == D("6100")


def test_bid_history_hides_maxima_and_names_from_the_public(api_client, as_buyer, auth_client, live_auction):
    bid(as_buyer, live_auction, "9000")
    public = api_client.get(f"/api/bids/auction/{live_auction.pk}").json()["results"]
    assert public[0]["bidder_alias"] == "Bidder 1"
    assert "max_amount" not in public[0]
    assert "bidder" not in public[0]
    mine = as_buyer.get(f"/api/bids/auction/{live_auction.pk}").json()["results"]
    assert mine[0]["max_amount"] == "9000.00"
    seller_view = auth_client(live_auction.seller).get(f"/api/bids/auction/{live_auction.pk}").json()["results"]
    assert "bidder" in seller_view[0]
    assert "max_amount" not in seller_view[0]


def test_my_bids_and_bid_detail(as_buyer, api_client, live_auction):
    bid_id = bid(as_buyer, live_auction, "6000").json()["data"]["bid"]["id"]
    listing = as_buyer.get("/api/bids/user").json()
    assert listing["count"] == 1
    assert listing["results"][0]["auction"]["my_status"] == "leading"
    assert as_buyer.get(f"/api/bids/{bid_id}").json()["data"]["max_amount"] == "6000.00"
    assert "max_amount" not in api_client.get(f"/api/bids/{bid_id}").json()["data"]


def test_list_filters_and_sorts(api_client, auction_factory, vehicle_factory):
    soon = auction_factory(ends_at=timezone.now() + timedelta(minutes=10))
    later = auction_factory(
        vehicle=vehicle_factory(make="Ford", model="F-150", status=Vehicle.Status.LISTED),
        ends_at=timezone.now() + timedelta(hours=5),
        starting_price=D("20000"),
    )
    auction_factory(status=Auction.Status.ENDED)
    ids = [a["id"] for a in api_client.get("/api/auctions").json()["results"]]
    assert ids == [soon.pk, later.pk]
    assert [a["id"] for a in api_client.get("/api/auctions?make=ford").json()["results"]] == [later.pk]
    assert [a["id"] for a in api_client.get("/api/auctions?min_price=10000").json()["results"]] == [later.pk]
    assert [a["id"] for a in api_client.get("/api/auctions?max_price=10000").json()["results"]] == [soon.pk]
    assert [a["id"] for a in api_client.get("/api/auctions?make=Ford&model=f-150").json()["results"]] == [later.pk]
    assert api_client.get("/api/auctions?model=Civic").json()["count"] == 0
    bad = api_client.get("/api/auctions?max_price=ten")
    assert bad.status_code == 400
    assert bad.json()["error"]
    ending = (timezone.now() + timedelta(hours=1)).isoformat()
    assert [a["id"] for a in api_client.get("/api/auctions", {"ending_before": ending}).json()["results"]] == [soon.pk]
    assert [a["id"] for a in api_client.get("/api/auctions?sort=price_desc").json()["results"]] == [later.pk, soon.pk]
    assert api_client.get("/api/auctions?status=all").json()["count"] == 3
    assert [a["id"] for a in api_client.get("/api/auctions/search?q=f-150").json()["results"]] == [later.pk]


def test_detail_never_shows_the_reserve(api_client, auction_factory):
    auction = auction_factory(reserve_price=D("8123"))
    body = api_client.get(f"/api/auctions/{auction.pk}").json()["data"]
    assert body["reserve_label"] == "Reserve not met"
    assert "8123" not in str(body)


def test_seller_schedules_updates_and_withdraws_over_the_api(auth_client, vehicle):
    client = auth_client(vehicle.seller)
    ends = (timezone.now() + timedelta(days=2)).isoformat()
    response = client.post(
        "/api/auctions",
        {"vehicle_id": vehicle.pk, "starting_price": "4000", "reserve_price": "6000", "ends_at": ends},
        format="json",
    )
    assert response.status_code == 201, response.json()
    auction_id = response.json()["data"]["id"]
    assert response.json()["data"]["status"] == "live"
    response = client.put(f"/api/auctions/{auction_id}", {"starting_price": "4500"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["starting_price"] == "4500.00"
    assert client.delete(f"/api/auctions/{auction_id}").status_code == 200
    assert Auction.objects.get().status == "cancelled"


def test_schedule_validation_errors_name_the_field(auth_client, vehicle):
    response = auth_client(vehicle.seller).post(
        "/api/auctions",
        {
            "vehicle_id": vehicle.pk,
            "starting_price": "4000",
            "reserve_price": "3000",
            "ends_at": (timezone.now() + timedelta(days=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "reserve_price" in response.json()["details"]


def test_other_user_cannot_update(auth_client, user, live_auction):
    response = auth_client(user).put(f"/api/auctions/{live_auction.pk}", {"starting_price": "1"}, format="json")
    assert response.status_code == 403


def test_buy_now_over_http(as_buyer, auction_factory):
    auction = auction_factory(buy_now_price=D("15000"))
    response = as_buyer.post(f"/api/auctions/{auction.pk}/buy-now", {"expected_price": "15000.00"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["outcome"] == "sold"
    assert response.json()["data"]["viewer"]["my_status"] == "won"


def test_price_preview_shows_the_total_at_a_max(as_buyer, live_auction):
    response = as_buyer.get(f"/api/auctions/{live_auction.pk}/price-preview?max=20000")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["vehicle_price"] == "20000.00"
    assert data["buyer_fee"] == "1000.00"
    assert data["documentation_fee"] == "99.00"
    assert data["confirm_required"] is True
    assert as_buyer.get(f"/api/auctions/{live_auction.pk}/price-preview?max=abc").status_code == 400


def test_favorites_by_auction_id(as_buyer, live_auction):
    url = f"/api/favorites/auction/{live_auction.pk}"
    assert as_buyer.get(url).json()["data"]["is_favorite"] is False
    assert as_buyer.post(url).status_code == 201
    assert as_buyer.get(url).json()["data"]["is_favorite"] is True
    assert as_buyer.delete(url).json()["data"]["is_favorite"] is False
    assert as_buyer.get("/api/favorites/auction/999999").status_code == 404


def test_comments_over_http(api_client, as_buyer, auth_client, staff_user, live_auction):
    url = f"/api/auctions/{live_auction.pk}/comments"
    assert api_client.post(url, {"body": "hi"}, format="json").status_code == 401
    posted = as_buyer.post(url, {"body": "Service records?"}, format="json")
    assert posted.status_code == 201
    comment_id = posted.json()["data"]["id"]
    reply = auth_client(live_auction.seller).post(url, {"body": "All of them.", "parent_id": comment_id}, format="json")
    assert reply.json()["data"]["is_seller"] is True
    assert reply.json()["data"]["author"] == "Seller"
    assert auth_client(staff_user).post(f"/api/auction-comments/{comment_id}/hide").status_code == 200
    listed = api_client.get(url).json()["data"]
    assert [c["hidden"] for c in listed] == [True, False]
    assert listed[0]["body"] == ""


def test_void_over_http_is_staff_only(as_buyer, auth_client, staff_user, live_auction):
    bid_id = bid(as_buyer, live_auction, "6000").json()["data"]["bid"]["id"]
    assert as_buyer.post(f"/api/bids/{bid_id}/void", {"reason": "x"}, format="json").status_code == 403
    response = auth_client(staff_user).post(f"/api/bids/{bid_id}/void", {"reason": "duplicate"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["bid_count"] == 0


def test_seller_decision_over_http(auth_client, auction_factory, bidder_factory, place_bid):
    from auctions.services import auction_close

    auction = auction_factory(reserve_price=D("9000"))
    place_bid(auction, bidder_factory(), "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at)
    response = auth_client(auction.seller).post(f"/api/auctions/{auction.pk}/decision", {"accept": True}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["outcome"] == "sold"


def test_profile_pluggables(live_auction, buyer, place_bid):
    from auctions.selectors import dashboard_counts, user_auctions, user_bids

    place_bid(live_auction, buyer, "6000")
    assert [a["id"] for a in user_auctions(live_auction.seller_id)] == [live_auction.pk]
    bids = user_bids(buyer.pk)
    assert bids[0]["bidder_alias"] == "Bidder 1"
    assert "my_max" not in bids[0]
    assert dashboard_counts(buyer)["leading"] == 1


def test_a_member_s_bids_are_shown_to_the_member_and_staff_only(
    api_client, auth_client, live_auction, buyer, bidder_factory, staff_user, place_bid
):
    """Their aliases would put names to the public bid history: anonymous visitors and other members get a
    403 and no data."""
    place_bid(live_auction, buyer, "6000")
    path = f"/api/users/{buyer.pk}/bids"
    for client in (api_client, auth_client(bidder_factory()), auth_client(live_auction.seller)):
        response = client.get(path)
        assert response.status_code == 403, response.content
        assert "Bidder" not in response.content.decode()
        assert response.json()["error"]
    for viewer in (buyer, staff_user):
        response = auth_client(viewer).get(path)
        assert response.status_code == 200
        assert [(r["id"], r["bidder_alias"]) for r in response.json()["results"]] == [(live_auction.pk, "Bidder 1")]
