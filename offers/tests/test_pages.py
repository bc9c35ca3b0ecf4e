"""The offer pages without JavaScript: plain forms, a review step with the total, errors next to the field."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import CardOnFile
from auctions.models import Auction
from auctions.services import auction_close
from core.pricing import purchase_breakdown
from offers import services
from offers.models import OfferAmount, OfferRules, OfferThread
from vehicles.transport import vehicle_transport_quote

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(bidder_factory):
    return bidder_factory(state="MN", first_name="Bea", last_name="Buyer")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def words(response) -> str:
    """The page's text without tags."""
    return " ".join(re.sub(r"<[^>]+>", "", text(response)).split())


# --- the vehicle page's panel ----------------------------------------------------------------------------------


def test_the_vehicle_page_offers_an_eligible_buyer_the_form_and_links_the_rules(offer_vehicle, buyer):
    page = text(client_for(buyer).get(f"/vehicles/{offer_vehicle.pk}/"))
    assert "data-offer-panel" in page
    assert f'action="/vehicles/{offer_vehicle.pk}/offer/"' in page
    assert "Below the buy-now price of $12,000.00" in page
    assert 'href="/how-offers-work/"' in page


def test_a_visitor_is_asked_to_log_in_and_an_ineligible_buyer_sees_what_is_missing(offer_vehicle, buyer):
    anonymous = text(Client().get(f"/vehicles/{offer_vehicle.pk}/"))
    assert "to make an offer" in anonymous
    assert "/accounts/login/" in anonymous
    CardOnFile.objects.filter(user=buyer).delete()
    page = text(client_for(buyer).get(f"/vehicles/{offer_vehicle.pk}/"))
    assert "Before you can make an offer" in page
    assert 'href="/account/card/"' in page


def test_no_offer_form_while_the_auction_is_live(auction_factory, buyer):
    auction = auction_factory(vehicle__accepts_offers=True)
    page = text(client_for(buyer).get(f"/vehicles/{auction.vehicle_id}/"))
    assert "offers are closed while bidding runs" in page
    assert f'action="/vehicles/{auction.vehicle_id}/offer/"' not in page


def test_a_vehicle_without_offers_shows_no_offer_panel(offer_vehicle_factory, buyer):
    vehicle = offer_vehicle_factory(accepts_offers=False)
    assert "data-offer-panel" not in text(client_for(buyer).get(f"/vehicles/{vehicle.pk}/"))


def test_the_seller_sees_the_offers_waiting_on_the_vehicle_page(offer_vehicle, buyer, make_offer):
    make_offer(offer_vehicle, buyer, "8000")
    page = text(client_for(offer_vehicle.seller).get(f"/vehicles/{offer_vehicle.pk}/"))
    assert "1 offer waiting for your answer." in page
    assert f'href="/sell/offers/vehicle/{offer_vehicle.pk}/"' in page


# --- making an offer without JavaScript ------------------------------------------------------------------------


def test_an_offer_is_reviewed_with_the_total_then_sent(offer_vehicle, buyer):
    client = client_for(buyer)
    review = client.post(f"/vehicles/{offer_vehicle.pk}/offer/", {"amount": "8000"})
    assert review.status_code == 200
    total = purchase_breakdown(price=Decimal("8000"), buyer_state="MN").total
    assert f"${total:,.2f}" in text(review)
    assert "Send offer of $8,000.00" in text(review)
    delivered = purchase_breakdown(
        price=Decimal("8000"),
        buyer_state="MN",
        delivery=vehicle_transport_quote(offer_vehicle, destination_zip=buyer.postal_code),
    )
    assert f"With delivery to {buyer.postal_code}: ${delivered.total_with_delivery:,.2f}" in words(review)
    assert not OfferThread.objects.exists(), "the review stores nothing"
    token = text(review).split('name="form_token" value="')[1].split('"')[0]
    sent = client.post(
        f"/vehicles/{offer_vehicle.pk}/offer/", {"amount": "8000.00", "confirm": "1", "form_token": token}
    )
    thread = OfferThread.objects.get()
    assert sent.status_code == 302
    assert sent.url == f"/offers/{thread.pk}/"
    again = client.post(
        f"/vehicles/{offer_vehicle.pk}/offer/", {"amount": "8000.00", "confirm": "1", "form_token": token}
    )
    assert again.status_code == 302, "a resubmitted form replays"
    assert again.url == f"/offers/{thread.pk}/"
    assert OfferThread.objects.count() == 1
    page = text(client.get(sent.url))
    assert "Waiting for the seller" in page
    assert "$8,000.00" in page


@pytest.mark.parametrize(
    ("amount", "status", "message"),
    [("8,000", 400, "digits with at most two decimals"), ("12000", 409, "buy-now price is $12,000.00")],
)
def test_a_bad_amount_comes_back_next_to_the_field_and_stores_nothing(offer_vehicle, buyer, amount, status, message):
    for data in ({"amount": amount}, {"amount": amount, "confirm": "1"}):
        response = client_for(buyer).post(f"/vehicles/{offer_vehicle.pk}/offer/", data)
        page = text(response)
        assert response.status_code == status
        assert 'aria-invalid="true"' in page
        assert 'aria-describedby="offer-help offer-field-error"' in page
        assert message in page
    assert not OfferThread.objects.exists()


def test_refusals_that_are_not_about_the_amount_show_as_an_alert(offer_vehicle, make_eligible):
    seller = make_eligible(offer_vehicle.seller)
    response = client_for(seller).post(f"/vehicles/{offer_vehicle.pk}/offer/", {"amount": "8000"})
    assert response.status_code == 403
    assert 'role="alert"' in text(response)
    assert "your own vehicle" in text(response)


# --- the thread page -----------------------------------------------------------------------------------------------


def test_the_seller_opening_the_thread_records_it_was_seen_and_shows_the_buyer_alias(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    page = text(client_for(offer_vehicle.seller).get(f"/offers/{thread.pk}/"))
    assert "Buyer 1" in page
    assert "Bea" not in page
    assert "Verified" in page
    assert "0 purchases" in page
    assert "Your turn." in page
    assert "Counter with" in page
    assert "above $8,000.00 and at most $12,000.00" in page
    assert OfferAmount.objects.get(thread=thread).first_shown_at is not None
    buyer_page = text(client_for(buyer).get(f"/offers/{thread.pk}/"))
    assert "seen" in buyer_page
    assert "Withdraw" not in buyer_page


def test_a_stranger_gets_a_404(offer_vehicle, buyer, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    assert client_for(bidder_factory()).get(f"/offers/{thread.pk}/").status_code == 404
    assert client_for(bidder_factory()).post(f"/offers/{thread.pk}/accept/").status_code == 404


def test_counters_back_and_forth_then_acceptance_and_the_order_link(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    seller, client = client_for(offer_vehicle.seller), client_for(buyer)
    assert seller.post(f"/offers/{thread.pk}/counter/", {"amount": "9500"}).status_code == 302
    review = client.post(f"/offers/{thread.pk}/counter/", {"amount": "9000"})
    assert review.status_code == 200
    assert "Send counter of $9,000.00" in text(review)
    assert client.post(f"/offers/{thread.pk}/counter/", {"amount": "9000", "confirm": "1"}).status_code == 302
    accepted = seller.post(f"/offers/{thread.pk}/accept/")
    assert accepted.status_code == 302
    page = text(client.get(f"/offers/{thread.pk}/"))
    assert "Accepted at $9,000.00" in page
    assert f'href="/orders/offer/{thread.pk}/"' in page
    order_page = client.get(f"/orders/offer/{thread.pk}/")
    assert order_page.status_code == 302
    assert order_page.url.startswith("/orders/")
    assert "Bea Buyer" in text(seller.get(f"/offers/{thread.pk}/")), "names are shared after acceptance"


def test_a_counter_out_of_range_comes_back_on_the_thread_page(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    response = client_for(offer_vehicle.seller).post(f"/offers/{thread.pk}/counter/", {"amount": "7000"})
    assert response.status_code == 400
    page = text(response)
    assert 'aria-invalid="true"' in page
    assert "above $8,000.00" in page
    assert 'id="counter-error"' in page
    assert thread.amounts.count() == 1


def test_an_out_of_turn_action_is_refused_with_a_message(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    response = client_for(buyer).post(f"/offers/{thread.pk}/accept/")
    assert response.status_code == 409
    assert "other side's turn" in text(response)


def test_my_offers_and_the_inbox_list_threads_by_who_is_to_act(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    mine = text(client_for(buyer).get("/offers/"))
    assert "Waiting for the seller" in mine
    assert f'href="/offers/{thread.pk}/"' in mine
    inbox = text(client_for(offer_vehicle.seller).get("/sell/offers/"))
    assert "Your turn" in inbox
    assert "Buyer 1" in inbox
    assert offer_vehicle.title in inbox
    vehicle_inbox = text(client_for(offer_vehicle.seller).get(f"/sell/offers/vehicle/{offer_vehicle.pk}/"))
    assert "Automatic answers to offers" in vehicle_inbox


def test_the_seller_saves_hidden_rules(offer_vehicle):
    client = client_for(offer_vehicle.seller)
    response = client.post(
        f"/sell/offers/vehicle/{offer_vehicle.pk}/rules/", {"auto_decline_below": "6000", "auto_accept_at": ""}
    )
    assert response.status_code == 302
    rules = OfferRules.objects.get(vehicle=offer_vehicle)
    assert (rules.auto_decline_below, rules.auto_accept_at) == (Decimal("6000"), None)


def test_the_pricing_step_shows_the_rules_form(offer_vehicle_factory, seller):
    vehicle = offer_vehicle_factory(seller=seller, status="draft")
    page = text(client_for(seller).get(f"/sell/vehicles/{vehicle.pk}/pricing/"))
    assert "Automatic answers to offers" in page
    assert f'action="/sell/offers/vehicle/{vehicle.pk}/rules/"' in page


def test_how_offers_work_is_linked_beside_how_bidding_works(client):
    page = text(client.get("/how-offers-work/"))
    assert "How offers work" in page
    assert "at most <strong>3 times</strong>" in page
    assert "48 hours" in page
    home = text(client.get("/"))
    assert 'href="/how-offers-work/"' in home


# --- after the auction ------------------------------------------------------------------------------------------------


def test_the_reserve_not_met_decision_gains_counter(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(reserve_price=Decimal("9000"), vehicle__accepts_offers=False)
    high = bidder_factory()
    place_bid(auction, high, "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    seller = client_for(auction.seller)
    listing = text(seller.get("/sell/auctions/"))
    assert f'action="/auctions/{auction.pk}/counter/"' in listing
    assert "Or counter the high bid" in listing
    vehicle_page = text(seller.get(f"/vehicles/{auction.vehicle_id}/"))
    assert f'action="/auctions/{auction.pk}/counter/"' in vehicle_page
    response = seller.post(f"/auctions/{auction.pk}/counter/", {"amount": "8500", "next": "/sell/auctions/"})
    thread = OfferThread.objects.get()
    assert response.url == f"/offers/{thread.pk}/"
    assert thread.buyer_id == high.pk
    high_page = text(client_for(high).get(f"/offers/{thread.pk}/"))
    assert "This offer cannot be countered" in high_page
    assert "Accept $8,500.00" in high_page


def test_the_high_bidder_reviews_and_sends_a_best_offer(auction_factory, bidder_factory, place_bid):
    auction = auction_factory(reserve_price=Decimal("9000"))
    high = bidder_factory()
    place_bid(auction, high, "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    client = client_for(high)
    assert "Send the seller one best offer" in text(client.get(f"/vehicles/{auction.vehicle_id}/"))
    review = client.post(f"/auctions/{auction.pk}/best-offer/", {"amount": "8000"})
    assert "Send best offer of $8,000.00" in text(review)
    sent = client.post(f"/auctions/{auction.pk}/best-offer/", {"amount": "8000", "confirm": "1"})
    thread = OfferThread.objects.get(kind="best_offer")
    assert sent.url == f"/offers/{thread.pk}/"
    assert "sent a best offer" in text(client_for(auction.seller).get(f"/vehicles/{auction.vehicle_id}/"))


def test_the_seller_offers_a_second_chance_from_the_cancelled_order(
    auction_factory, bidder_factory, place_bid, staff_user
):
    from orders.models import Order
    from orders.services import order_cancel
    from orders.sources import order_create_for_auction

    auction = auction_factory()
    runner = bidder_factory()
    place_bid(auction, runner, "6000")
    place_bid(auction, bidder_factory(), "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at + timedelta(seconds=1))
    order = order_create_for_auction(auction_id=auction.pk)
    Order.objects.filter(pk=order.pk).update(due_at=timezone.now() - timedelta(days=1))
    order_cancel(order_id=order.pk, actor=staff_user, reason="Buyer did not pay")
    seller = client_for(auction.seller)
    page = text(seller.get(f"/orders/{order.pk}/"))
    assert "Offer it to the runner-up at $6,000.00" in page
    response = seller.post(f"/orders/{order.pk}/second-chance/")
    thread = OfferThread.objects.get(kind="second_chance")
    assert response.url == f"/offers/{thread.pk}/"
    runner_page = text(client_for(runner).get(f"/offers/{thread.pk}/"))
    assert "Second-chance offer" in runner_page
    assert "Accept $6,000.00" in runner_page
    assert Auction.objects.get(pk=auction.pk).winner_id != runner.pk
    services.offers_settle_due()
    assert OfferThread.objects.get(pk=thread.pk).is_open


# --- the branded-title warning before the buyer commits ------------------------------------------------------


def test_a_branded_title_is_warned_on_the_offer_forms_and_the_review(offer_vehicle_factory, buyer):
    vehicle = offer_vehicle_factory(title_type="salvage", title_state="TX")
    client = client_for(buyer)
    warning = vehicle.title_warning
    assert warning.startswith("Branded title: Salvage, issued in TX.")
    panel = text(client.get(f"/vehicles/{vehicle.pk}/"))
    form = panel.split("data-offer-panel", 1)[1]
    assert "data-title-warning" in form.split("</form>")[0], "the panel's offer form carries the warning"
    make_page = text(client.get(f"/vehicles/{vehicle.pk}/offer/"))
    assert warning in make_page
    assert make_page.index("data-title-warning") < make_page.index('id="offer-amount"')
    review = text(client.post(f"/vehicles/{vehicle.pk}/offer/", {"amount": "4000"}))
    assert warning in review
    assert review.index("data-title-warning") < review.index('data-testid="review-send"')


def test_a_clean_title_shows_no_warning_on_the_offer_form(offer_vehicle, buyer):
    assert offer_vehicle.title_type == "clean"
    assert "data-title-warning" not in text(client_for(buyer).get(f"/vehicles/{offer_vehicle.pk}/offer/"))


def test_the_inbox_names_buyers_by_their_per_vehicle_alias_and_says_so_even_to_a_seller_who_is_staff(
    offer_vehicle_factory, bidder_factory, make_offer
):
    # given a seller who is also staff, with two vehicles; Bea offers on both, Carl on the second
    first = offer_vehicle_factory()
    second = offer_vehicle_factory(seller=first.seller)
    first.seller.is_staff = True
    first.seller.save(update_fields=["is_staff"])
    bea, carl = bidder_factory(first_name="Bea"), bidder_factory(first_name="Carl")
    make_offer(first, bea, "8000")
    make_offer(second, carl, "7000")
    bea_second = make_offer(second, bea, "7500")
    # when the seller opens their inbox and one of the threads
    inbox = words(client_for(first.seller).get("/sell/offers/"))
    thread_page = words(client_for(first.seller).get(f"/offers/{bea_second.pk}/"))
    # then buyers are aliases numbered per vehicle, the page says so, and no name shows before acceptance
    assert "numbered per vehicle" in inbox
    assert "Buyer 1 on one vehicle is not Buyer 1 on another" in inbox
    assert inbox.count("Buyer 1") >= 2
    assert "Buyer 2" in inbox
    for page in (inbox, thread_page):
        assert "Bea" not in page
        assert "Carl" not in page
    assert "Buyer 2" in thread_page
