"""Pages: the vehicle-page panel (works without JavaScript), live auctions, my bids, seller auctions, how it works."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from auctions.models import Auction, Bid
from auctions.services import auction_close

pytestmark = pytest.mark.django_db


def test_panel_on_the_vehicle_page_shows_price_reserve_badge_countdown_and_form(
    client, auction_factory, bidder_factory
):
    auction = auction_factory(reserve_price=Decimal("9000"))
    client.force_login(bidder_factory())
    html = client.get(f"/vehicles/{auction.vehicle_id}/").content.decode()
    assert "data-auction-room" in html
    assert "Reserve not met" in html
    assert "9,000" not in html
    assert "$5,000.00" in html
    assert "Your max bid" in html
    assert 'role="timer"' in html
    assert "you pay" in html  # the total at the minimum bid, without JavaScript


def test_panel_tells_an_ineligible_user_what_is_missing(client, live_auction, user):
    client.force_login(user)
    html = client.get(f"/vehicles/{live_auction.vehicle_id}/").content.decode()
    assert "Before you can bid" in html
    assert "Your max bid" not in html


def test_no_javascript_bid_form_places_a_bid_and_redirects_back_with_a_message(client, live_auction, bidder_factory):
    client.force_login(bidder_factory())
    back = f"/vehicles/{live_auction.vehicle_id}/"
    response = client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "6000", "next": back}, follow=True)
    assert response.redirect_chain[-1][0].startswith(back)
    assert Bid.objects.count() == 1
    assert "You are the high bidder" in response.content.decode()


def test_no_javascript_bid_error_is_shown_and_nothing_is_stored(client, live_auction, bidder_factory):
    client.force_login(bidder_factory())
    response = client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "12.345"}, follow=True)
    assert "at most two decimals" in response.content.decode()
    assert not Bid.objects.exists()


def test_a_max_above_three_times_the_price_needs_confirmation(client, live_auction, bidder_factory):
    client.force_login(bidder_factory())
    response = client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "20000"}, follow=True)
    assert "more than three times" in response.content.decode()
    assert not Bid.objects.exists()
    client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "20000", "confirm": "1"})
    assert Bid.objects.count() == 1


def test_without_javascript_the_form_to_confirm_shows_the_total_at_that_max(client, live_auction, bidder_factory):
    """BIDDING.md: the total at the max before the bidder confirms; the page comes back with the max filled
    in and the total at it, once."""
    from core.pricing import purchase_breakdown

    buyer = bidder_factory()
    client.force_login(buyer)
    back = f"/vehicles/{live_auction.vehicle_id}/"
    response = client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "20000", "next": back}, follow=True)
    html = response.content.decode()
    total = purchase_breakdown(price=Decimal("20000"), buyer_state=buyer.state or "").total
    assert f"If you win at that max you pay ${total:,.2f} in total." in html
    assert 'value="20000.00"' in html
    assert f"If you win at $20,000.00 you pay <strong>${total:,.2f}</strong>" in html
    assert not Bid.objects.exists()
    again = client.get(back).content.decode()
    assert 'value="20000.00"' not in again  # shown once: a fresh visit offers the minimum again
    assert 'value="5000.00"' in again


def test_live_auctions_page_lists_live_ones_ending_soonest_first(client, auction_factory):
    later = auction_factory(ends_at=timezone.now() + timedelta(hours=3))
    sooner = auction_factory(ends_at=timezone.now() + timedelta(minutes=20))
    auction_factory(status=Auction.Status.ENDED)
    html = client.get("/auctions/").content.decode()
    assert html.index(f"/vehicles/{sooner.vehicle_id}/") < html.index(f"/vehicles/{later.vehicle_id}/")
    assert "2 live" in html


def test_live_auctions_page_has_a_helpful_empty_state(client, db):
    assert "No auctions are live right now" in client.get("/auctions/").content.decode()


def test_my_bids_groups_leading_outbid_won_and_lost(client, auction_factory, bidder_factory, place_bid):
    me, rival = bidder_factory(), bidder_factory()
    leading, outbid, won, lost = (auction_factory() for _ in range(4))
    place_bid(leading, me, "6000")
    place_bid(outbid, me, "5000")
    place_bid(outbid, rival, "7000")
    place_bid(won, me, "5000")
    place_bid(lost, me, "5000")
    place_bid(lost, rival, "6000")
    for auction in (won, lost):
        auction_close(auction_id=auction.pk, now=auction.ends_at)
    client.force_login(me)
    html = client.get("/account/bids/").content.decode()
    for auction, group in ((leading, "leading"), (outbid, "outbid"), (won, "won"), (lost, "lost")):
        assert f'data-auction-id="{auction.pk}" data-my-status="{group}"' in html


def test_a_vehicle_bought_with_buy_now_is_under_won_in_my_bids(client, auction_factory, bidder_factory):
    from auctions.services import auction_buy_now

    me = bidder_factory()
    auction = auction_factory(buy_now_price=Decimal("15000"))
    auction_buy_now(auction_id=auction.pk, buyer=me, expected_price=auction.buy_now_price)
    client.force_login(me)
    html = client.get("/account/bids/").content.decode()
    assert f'data-auction-id="{auction.pk}" data-my-status="won"' in html
    assert "Bought now" in html
    assert "Won at $15,000.00" in html


def test_seller_sees_state_and_decides_on_reserve_not_met(client, auction_factory, bidder_factory, place_bid):
    auction = auction_factory(reserve_price=Decimal("9000"))
    place_bid(auction, bidder_factory(), "7000")
    auction_close(auction_id=auction.pk, now=auction.ends_at)
    client.force_login(auction.seller)
    assert "your decision" in client.get("/sell/auctions/").content.decode()
    client.post(f"/auctions/{auction.pk}/decision/", {"decision": "accept"})
    assert Auction.objects.get().outcome == "sold"


def test_schedule_form_shows_errors_next_to_fields_and_schedules(client, vehicle):
    client.force_login(vehicle.seller)
    url = f"/sell/vehicles/{vehicle.pk}/auction/new/"
    ends = timezone.localtime(timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, {"starting_price": "5000", "reserve_price": "4000", "ends_at": ends})
    assert "The reserve must be at least the starting price." in response.content.decode()
    response = client.post(url, {"starting_price": "5000", "ends_at": ends})
    assert response.status_code == 302
    assert Auction.objects.get().status == "live"


def test_how_bidding_works_explains_the_rules(client, db):
    html = client.get("/how-bidding-works/").content.decode()
    for phrase in ("maximum", "Reserve not met", "last two minutes", "Buy now", "$1,000", "$50"):
        assert phrase in html


def test_room_link_redirects_to_the_vehicle_page(client, live_auction):
    response = client.get(f"/auctions/{live_auction.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/vehicles/{live_auction.vehicle_id}/")


def test_staff_see_an_auctions_bids_read_only_in_the_admin(client, live_auction, bidder_factory, place_bid, staff_user):
    place_bid(live_auction, bidder_factory(), "6000")
    client.force_login(staff_user)
    page = client.get(f"/admin/auctions/auction/{live_auction.pk}/change/").content.decode()
    assert "6000.00" in page
    assert 'name="bids-TOTAL_FORMS" value="1"' in page
    assert 'name="bids-MAX_NUM_FORMS" value="0"' in page  # history rows are never added here


def test_the_auction_event_log_is_read_only_for_staff(client, live_auction, bidder_factory, place_bid, staff_user):
    place_bid(live_auction, bidder_factory(), "6000")
    client.force_login(staff_user)
    assert "bid_accepted" in client.get("/admin/auctions/auctionevent/").content.decode()
    assert client.get("/admin/auctions/auctionevent/add/").status_code == 403


def test_the_panel_shows_the_newest_comments_oldest_first_and_history_rows_carry_their_seq(
    client, live_auction, user, bidder_factory, place_bid
):
    from auctions.models import AuctionComment

    AuctionComment.objects.bulk_create(
        AuctionComment(auction=live_auction, author=user, body=f"comment number {i}") for i in range(205)
    )
    place_bid(live_auction, bidder_factory(), "6000")
    html = client.get(f"/vehicles/{live_auction.vehicle_id}/").content.decode()
    assert "comment number 204" in html  # the latest stays on the page
    assert "comment number 4<" not in html  # the oldest beyond 200 give way
    assert html.index("comment number 5<") < html.index("comment number 204")
    assert 'data-seq="1"' in html


def test_the_seller_replies_under_a_question_from_the_page(client, live_auction, user):
    """Without JavaScript: the Reply form under a question posts with its id; the answer is shown under it,
    marked as the seller's, before later questions."""
    from auctions.services import comment_post

    question = comment_post(auction_id=live_auction.pk, author=user, body="Service records?")
    later = comment_post(auction_id=live_auction.pk, author=user, body="Tires?")
    client.force_login(live_auction.seller)
    page = f"/vehicles/{live_auction.vehicle_id}/"
    html = client.get(page).content.decode()
    assert f'name="parent_id" value="{question.pk}"' in html
    response = client.post(
        f"/auctions/{live_auction.pk}/comment/",
        {"body": "All of them, since new.", "parent_id": str(question.pk), "next": page},
        follow=True,
    )
    html = response.content.decode()
    reply = live_auction.comments.get(parent_id=question.pk)
    assert reply.is_seller
    positions = [html.index(f'data-comment-id="{c.pk}"') for c in (question, reply, later)]
    assert positions == sorted(positions)
    assert f'data-comment-id="{reply.pk}" data-parent-id="{question.pk}"' in html


def test_a_reply_to_a_reply_joins_its_question_s_thread_and_stays_on_the_page(client, live_auction, user):
    from auctions.services import comment_post

    question = comment_post(auction_id=live_auction.pk, author=user, body="Any leaks?")
    answer = comment_post(auction_id=live_auction.pk, author=live_auction.seller, body="None.", parent_id=question.pk)
    follow_up = comment_post(auction_id=live_auction.pk, author=user, body="Thanks!", parent_id=answer.pk)
    assert follow_up.parent_id == question.pk
    html = client.get(f"/vehicles/{live_auction.vehicle_id}/").content.decode()
    positions = [html.index(f'data-comment-id="{c.pk}"') for c in (question, answer, follow_up)]
    assert positions == sorted(positions)


def test_seller_auctions_show_a_buy_now_sale_with_its_price_and_time_not_the_reserve_or_planned_end(
    client, auction_factory, bidder_factory
):
    from django.utils import formats
    from django.utils.timezone import localtime

    from auctions.services import auction_buy_now

    # given an auction with an unmet reserve, bought now well before its planned end
    auction = auction_factory(
        reserve_price=Decimal("9000"), buy_now_price=Decimal("15000"), ends_at=timezone.now() + timedelta(days=3)
    )
    auction_buy_now(auction_id=auction.pk, buyer=bidder_factory(), expected_price=auction.buy_now_price)
    auction.refresh_from_db()
    # when the seller opens their auctions
    client.force_login(auction.seller)
    html = client.get("/sell/auctions/").content.decode()
    row = html[html.index(f'data-auction-id="{auction.pk}"') :].split("</tr>", 1)[0]
    # then the row shows the sale: bought now, at what price, when; not the reserve nor the planned end
    assert "Bought now for $15,000.00" in row
    assert formats.date_format(localtime(auction.sold_at), "M j, g:i A") in row
    assert formats.date_format(localtime(auction.scheduled_ends_at), "M j, g:i A") not in row
    assert "not met" not in row


def test_without_javascript_a_refused_bid_is_told_once_in_the_form_tied_to_the_amount_field(
    client, live_auction, bidder_factory
):
    import re

    # given a buyer on the vehicle page, without JavaScript
    client.force_login(bidder_factory())
    back = f"/vehicles/{live_auction.vehicle_id}/"
    # when they submit a max the grammar refuses
    response = client.post(f"/auctions/{live_auction.pk}/bid/", {"amount": "12,000", "next": back}, follow=True)
    html = response.content.decode()
    # then the refusal is in the form's alert, which the amount field points to and which marks it invalid
    refusal = "Your max bid must be digits with at most two decimals"
    error = re.search(rf'<p[^>]*id="bid-error-{live_auction.pk}"[^>]*>(.*?)</p>', html, flags=re.S)
    assert error is not None
    assert refusal in error[1]
    amount = re.search(rf'<input[^>]*id="bid-amount-{live_auction.pk}"[^>]*>', html, flags=re.S)
    assert amount is not None
    assert 'aria-invalid="true"' in amount[0]
    assert f"bid-error-{live_auction.pk}" in re.search(r'aria-describedby="([^"]*)"', amount[0])[1].split()  # type: ignore[index]
    assert 'value="12,000"' in amount[0]  # what they typed, to correct
    # and it is said once: not also at the top of the page
    assert html.count(refusal) == 1
    # and the next visit is clean
    again = client.get(back).content.decode()
    assert refusal not in again
    assert 'aria-invalid="true"' not in again
