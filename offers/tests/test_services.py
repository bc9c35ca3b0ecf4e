"""OFFERS.md, rule by rule, through the services (MariaDB, the database clock, real notifications)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import CardOnFile
from auctions.models import Auction, AuctionEvent
from core.errors import DomainError
from notifications.models import Notification
from offers import services
from offers.models import OfferAmount, OfferEvent, OfferRules, OfferThread
from orders.models import Order
from vehicles.models import Vehicle

pytestmark = pytest.mark.django_db
S = OfferThread.Status


@pytest.fixture
def buyer(bidder_factory):
    return bidder_factory(state="MN")


def refused(code: str, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, (caught.value.code, caught.value.message)
    return caught.value


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


# --- making an offer ------------------------------------------------------------------------------------------


def test_an_offer_opens_a_thread_waiting_48_hours_for_the_seller_who_is_told(
    offer_vehicle, buyer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.offer_make(vehicle_id=offer_vehicle.pk, buyer=buyer, amount="8000")
    thread = result.thread
    assert result.outcome == "made"
    assert (thread.status, thread.turn, thread.amount) == (S.OPEN, "seller", Decimal("8000.00"))
    assert thread.expires_at - thread.created_at == timedelta(hours=48)
    amount = thread.amounts.get()
    assert (amount.side, amount.author_id, amount.first_shown_at) == ("buyer", buyer.pk, None)
    assert list(thread.events.values_list("kind", flat=True)) == ["made"]
    assert kinds(offer_vehicle.seller) == ["offer_received"]
    notice = Notification.objects.get(user=offer_vehicle.seller)
    assert "Buyer 1" in notice.body
    assert "$8,000.00" in notice.body
    assert notice.url == f"/offers/{thread.pk}/"


@pytest.mark.parametrize("raw", ["", "abc", "-5", "0", "10.005", "1e4", "8,000", " 8000", "８０００", True])
def test_an_amount_outside_the_grammar_is_refused_and_nothing_is_stored(offer_vehicle, buyer, raw):
    refused("invalid_amount", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=buyer, amount=raw)
    assert not OfferThread.objects.exists()


def test_an_offer_at_or_above_buy_now_is_told_to_buy_now(offer_vehicle, buyer):
    error = refused("use_buy_now", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=buyer, amount="12000")
    assert error.status_code == 409
    assert "12,000.00" in error.message
    assert not OfferThread.objects.exists()


def test_the_seller_cannot_offer_on_their_own_vehicle(offer_vehicle, make_eligible):
    seller = make_eligible(offer_vehicle.seller)
    error = refused("own_vehicle", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=seller, amount="8000")
    assert error.status_code == 403


def test_an_ineligible_buyer_is_told_what_is_missing(offer_vehicle, buyer):
    CardOnFile.objects.filter(user=buyer).delete()
    error = refused("not_eligible", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=buyer, amount="8000")
    assert [m["code"] for m in error.details["missing"]] == ["card"]
    assert not OfferThread.objects.exists()


def test_a_suspended_buyer_cannot_offer(offer_vehicle, buyer):
    buyer.suspended_at = timezone.now()
    buyer.save()
    refused("suspended", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=buyer, amount="8000")


def test_a_vehicle_that_does_not_take_offers_refuses_them(offer_vehicle_factory, buyer):
    vehicle = offer_vehicle_factory(accepts_offers=False)
    refused("offers_closed", services.offer_make, vehicle_id=vehicle.pk, buyer=buyer, amount="8000")


def test_a_sold_vehicle_refuses_offers(offer_vehicle_factory, buyer):
    vehicle = offer_vehicle_factory(status=Vehicle.Status.SOLD)
    refused("vehicle_sold", services.offer_make, vehicle_id=vehicle.pk, buyer=buyer, amount="8000")


def test_no_offers_while_an_auction_is_live(auction_factory, buyer):
    auction = auction_factory(vehicle__accepts_offers=True)
    refused("auction_live", services.offer_make, vehicle_id=auction.vehicle_id, buyer=buyer, amount="8000")
    assert not OfferThread.objects.exists()


def test_a_scheduled_auction_whose_start_passed_counts_as_live_by_the_database_clock(auction_factory, buyer):
    auction = auction_factory(vehicle__accepts_offers=True, status=Auction.Status.SCHEDULED)  # starts_at is past
    refused("auction_live", services.offer_make, vehicle_id=auction.vehicle_id, buyer=buyer, amount="8000")


def test_offers_are_allowed_before_a_scheduled_auction_starts(auction_factory, buyer):
    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=2),
        ends_at=timezone.now() + timedelta(days=2),
        buy_now_price=Decimal("9000"),
    )
    refused("use_buy_now", services.offer_make, vehicle_id=auction.vehicle_id, buyer=buyer, amount="9000")
    assert services.offer_make(vehicle_id=auction.vehicle_id, buyer=buyer, amount="8000").outcome == "made"


def test_no_general_offers_during_the_sellers_reserve_decision(auction_factory, buyer):
    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.ENDED,
        outcome=Auction.Outcome.RESERVE_NOT_MET,
        decision_deadline=timezone.now() + timedelta(hours=20),
    )
    refused("offers_closed", services.offer_make, vehicle_id=auction.vehicle_id, buyer=buyer, amount="8000")


def test_one_open_thread_per_buyer_per_vehicle(offer_vehicle, buyer, make_offer):
    first = make_offer(offer_vehicle, buyer, "8000")
    error = refused("offer_open", services.offer_make, vehicle_id=offer_vehicle.pk, buyer=buyer, amount="8100")
    assert error.details["thread_id"] == first.pk
    assert OfferThread.objects.count() == 1


def test_after_a_decline_the_buyer_may_offer_again_under_the_same_alias(
    offer_vehicle, buyer, bidder_factory, make_offer
):
    other = make_offer(offer_vehicle, bidder_factory(), "7000")
    first = make_offer(offer_vehicle, buyer, "8000")
    services.offer_decline(thread_id=first.pk, actor=offer_vehicle.seller)
    second = make_offer(offer_vehicle, buyer, "8500")
    assert (other.buyer_number, first.buyer_number, second.buyer_number) == (1, 2, 2)


# --- counters -----------------------------------------------------------------------------------------------


def test_counters_converge_and_each_side_counters_at_most_three_times(offer_vehicle, buyer, make_offer):
    seller = offer_vehicle.seller
    thread = make_offer(offer_vehicle, buyer, "8000")
    # the seller's counter: above the buyer's amount, at most buy now ($12,000)
    refused("counter_out_of_range", services.offer_counter, thread_id=thread.pk, actor=seller, amount="8000")
    refused("counter_out_of_range", services.offer_counter, thread_id=thread.pk, actor=seller, amount="12000.01")
    refused("not_your_turn", services.offer_counter, thread_id=thread.pk, actor=buyer, amount="8100")
    services.offer_counter(thread_id=thread.pk, actor=seller, amount="11000")
    # the buyer's: above their own previous amount, below the seller's latest
    refused("counter_out_of_range", services.offer_counter, thread_id=thread.pk, actor=buyer, amount="8000")
    refused("counter_out_of_range", services.offer_counter, thread_id=thread.pk, actor=buyer, amount="11000")
    services.offer_counter(thread_id=thread.pk, actor=buyer, amount="9000")
    # the seller's next: below their previous counter, above the buyer's latest
    error = refused("counter_out_of_range", services.offer_counter, thread_id=thread.pk, actor=seller, amount="11000")
    assert error.details["min_exclusive"] == "9000.00"
    assert error.details["max"] == "11000.00"
    for seller_amount, buyer_amount in (("10500", "9500"), ("10200", "9800")):
        services.offer_counter(thread_id=thread.pk, actor=seller, amount=seller_amount)
        services.offer_counter(thread_id=thread.pk, actor=buyer, amount=buyer_amount)
    thread.refresh_from_db()
    assert (thread.seller_counters, thread.buyer_counters) == (3, 3)
    refused("counter_limit", services.offer_counter, thread_id=thread.pk, actor=seller, amount="10000")
    assert list(thread.amounts.values_list("amount", flat=True)) == [
        Decimal(x) for x in ("8000", "11000", "9000", "10500", "9500", "10200", "9800")
    ]
    assert thread.events.filter(kind=OfferEvent.Kind.COUNTERED).count() == 6


def test_a_counter_resets_the_48_hours_and_reaches_the_other_side(
    offer_vehicle, buyer, make_offer, django_capture_on_commit_callbacks
):
    thread = make_offer(offer_vehicle, buyer, "8000")
    OfferThread.objects.filter(pk=thread.pk).update(expires_at=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.offer_counter(thread_id=thread.pk, actor=offer_vehicle.seller, amount="9500")
    thread.refresh_from_db()
    assert thread.turn == "buyer"
    assert thread.expires_at > timezone.now() + timedelta(hours=47)
    assert kinds(buyer) == ["offer_countered"]


def test_strangers_get_a_404_for_other_peoples_threads(offer_vehicle, buyer, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    error = refused("offer_not_found", services.offer_accept, thread_id=thread.pk, actor=bidder_factory())
    assert error.status_code == 404


# --- acceptance ---------------------------------------------------------------------------------------------


def test_acceptance_sells_the_vehicle_ends_the_other_threads_and_creates_the_order(
    offer_vehicle, buyer, bidder_factory, make_offer, django_capture_on_commit_callbacks
):
    other_buyer = bidder_factory()
    other = make_offer(offer_vehicle, other_buyer, "7000")
    thread = make_offer(offer_vehicle, buyer, "8000")
    with django_capture_on_commit_callbacks(execute=True):
        result = services.offer_accept(thread_id=thread.pk, actor=offer_vehicle.seller)
    assert result.outcome == "accepted"
    thread.refresh_from_db()
    other.refresh_from_db()
    offer_vehicle.refresh_from_db()
    assert (thread.status, thread.accepted_amount, thread.turn, thread.open_key) == (
        S.ACCEPTED,
        Decimal("8000"),
        "",
        None,
    )
    assert other.status == S.SOLD_TO_ANOTHER
    assert offer_vehicle.status == Vehicle.Status.SOLD
    order = Order.objects.get(source_type=Order.Source.OFFER, source_id=thread.pk)
    # the same fees and tax as a won auction (BIDDING.md "After the sale"): MN buyer at $8,000
    assert (order.vehicle_price, order.buyer_fee, order.documentation_fee) == (
        Decimal("8000"),
        Decimal("400"),
        Decimal("99"),
    )
    assert order.sales_tax == Decimal("550.00")
    assert order.buyer_id == buyer.pk
    assert order.due_at > order.sold_at
    assert "offer_accepted" in kinds(buyer)
    assert "invoice_issued" in kinds(buyer)
    assert kinds(other_buyer) == ["offer_ended"]
    assert "sold to another buyer" in Notification.objects.get(user=other_buyer).body


def test_the_buyer_accepting_the_sellers_counter_is_binding_too(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    services.offer_counter(thread_id=thread.pk, actor=offer_vehicle.seller, amount="9000")
    refused("not_your_turn", services.offer_accept, thread_id=thread.pk, actor=offer_vehicle.seller)
    services.offer_accept(thread_id=thread.pk, actor=buyer)
    thread.refresh_from_db()
    assert thread.accepted_amount == Decimal("9000")
    assert thread.events.filter(kind="accepted", side="buyer", actor=buyer).exists()


def test_an_ineligible_buyer_cannot_accept_a_counter(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    services.offer_counter(thread_id=thread.pk, actor=offer_vehicle.seller, amount="9000")
    CardOnFile.objects.filter(user=buyer).delete()
    refused("not_eligible", services.offer_accept, thread_id=thread.pk, actor=buyer)
    thread.refresh_from_db()
    assert thread.status == S.OPEN


def test_accepting_before_a_scheduled_auction_cancels_it(auction_factory, buyer, make_offer):
    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=2),
        ends_at=timezone.now() + timedelta(days=2),
    )
    thread = make_offer(auction.vehicle, buyer, "8000")
    services.offer_accept(thread_id=thread.pk, actor=auction.seller)
    auction.refresh_from_db()
    assert auction.status == Auction.Status.CANCELLED
    assert AuctionEvent.objects.filter(auction=auction, kind="cancelled").exists()
    auction.vehicle.refresh_from_db()
    assert auction.vehicle.status == Vehicle.Status.SOLD


def test_an_acceptance_after_the_expiry_by_the_database_clock_expires_the_thread(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    OfferThread.objects.filter(pk=thread.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    refused("expired", services.offer_accept, thread_id=thread.pk, actor=offer_vehicle.seller)
    thread.refresh_from_db()
    assert thread.status == S.EXPIRED  # the ending committed; the acceptance did not
    assert not Order.objects.exists()
    refused("expired", services.offer_accept, thread_id=thread.pk, actor=offer_vehicle.seller)


def test_an_acceptance_after_the_auction_started_ends_every_thread(auction_factory, buyer, bidder_factory, make_offer):
    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=2),
        ends_at=timezone.now() + timedelta(days=2),
    )
    threads = [make_offer(auction.vehicle, buyer, "8000"), make_offer(auction.vehicle, bidder_factory(), "7000")]
    Auction.objects.filter(pk=auction.pk).update(starts_at=timezone.now() - timedelta(seconds=1))
    refused("auction_started", services.offer_accept, thread_id=threads[0].pk, actor=auction.seller)
    assert set(OfferThread.objects.values_list("status", flat=True)) == {S.AUCTION_STARTED}
    auction.refresh_from_db()
    assert auction.status == Auction.Status.SCHEDULED  # the start is the beat's, not ours


# --- auto rules, withdraw, staff ----------------------------------------------------------------------------


def test_the_auto_decline_floor_declines_politely_without_revealing_it(offer_vehicle, buyer):
    OfferRules.objects.create(
        vehicle=offer_vehicle, auto_decline_below=Decimal("7500"), auto_accept_at=Decimal("11000")
    )
    result = services.offer_make(vehicle_id=offer_vehicle.pk, buyer=buyer, amount="7000")
    assert result.outcome == "declined"
    assert result.thread.status == S.DECLINED
    assert "7,500" not in result.message
    assert "7500" not in result.message
    assert result.thread.events.filter(kind="declined", data__auto="yes").exists()


def test_the_auto_accept_price_accepts_at_once(offer_vehicle, buyer, django_capture_on_commit_callbacks):
    OfferRules.objects.create(vehicle=offer_vehicle, auto_accept_at=Decimal("11000"))
    with django_capture_on_commit_callbacks(execute=True):
        result = services.offer_make(vehicle_id=offer_vehicle.pk, buyer=buyer, amount="11000")
    assert result.outcome == "accepted"
    assert Order.objects.get(source_type="offer").vehicle_price == Decimal("11000")
    assert "offer_accepted" in kinds(offer_vehicle.seller)


def test_the_auto_accept_price_applies_to_a_buyers_counter(offer_vehicle, buyer, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    services.offer_counter(thread_id=thread.pk, actor=offer_vehicle.seller, amount="11500")
    services.offer_rules_update(vehicle_id=offer_vehicle.pk, actor=offer_vehicle.seller, auto_accept_at="10000")
    result = services.offer_counter(thread_id=thread.pk, actor=buyer, amount="10000")
    assert result.outcome == "accepted"


def test_rules_need_a_floor_below_the_accept_price_and_the_grammar(offer_vehicle):
    seller = offer_vehicle.seller
    refused("invalid_rules", services.offer_rules_update, vehicle_id=offer_vehicle.pk, actor=seller,
            auto_decline_below="9000", auto_accept_at="9000")  # fmt: skip
    refused("invalid_amount", services.offer_rules_update, vehicle_id=offer_vehicle.pk, actor=seller,
            auto_decline_below="9,000")  # fmt: skip
    rules = services.offer_rules_update(vehicle_id=offer_vehicle.pk, actor=seller, auto_decline_below="6000")
    assert (rules.auto_decline_below, rules.auto_accept_at) == (Decimal("6000"), None)


def test_withdraw_only_before_the_other_side_saw_it(offer_vehicle, buyer, bidder_factory, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    assert services.offer_mark_shown(thread_id=thread.pk, viewer=buyer) is False  # own amount: not "shown"
    assert services.offer_mark_shown(thread_id=thread.pk, viewer=offer_vehicle.seller) is True
    assert services.offer_mark_shown(thread_id=thread.pk, viewer=offer_vehicle.seller) is False  # first time only
    refused("offer_seen", services.offer_withdraw, thread_id=thread.pk, actor=buyer)
    refused("not_your_offer", services.offer_withdraw, thread_id=thread.pk, actor=offer_vehicle.seller)
    unseen = make_offer(offer_vehicle, bidder_factory(), "7000")
    assert services.offer_withdraw(thread_id=unseen.pk, actor=unseen.buyer).outcome == "withdrawn"
    unseen.refresh_from_db()
    assert unseen.status == S.WITHDRAWN
    assert OfferEvent.objects.filter(thread=thread, kind="shown", actor=offer_vehicle.seller).count() == 1


def test_staff_withdraw_any_open_thread_with_a_reason(offer_vehicle, buyer, staff_user, make_offer):
    thread = make_offer(offer_vehicle, buyer, "8000")
    refused("reason_required", services.offer_staff_withdraw, thread_id=thread.pk, staff=staff_user, reason=" ")
    refused("staff_only", services.offer_staff_withdraw, thread_id=thread.pk, staff=buyer, reason="no")
    services.offer_staff_withdraw(thread_id=thread.pk, staff=staff_user, reason="Duplicate listing")
    thread.refresh_from_db()
    assert (thread.status, thread.end_reason, thread.ended_by_id) == (S.WITHDRAWN, "Duplicate listing", staff_user.pk)


# --- sweeps ----------------------------------------------------------------------------------------------------


def test_the_sweep_expires_due_threads_once_and_tells_both_sides(
    offer_vehicle, buyer, make_offer, django_capture_on_commit_callbacks
):
    thread = make_offer(offer_vehicle, buyer, "8000")
    OfferThread.objects.filter(pk=thread.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_settle_due() == 1
    assert services.offers_settle_due() == 0  # safe to run twice
    thread.refresh_from_db()
    assert thread.status == S.EXPIRED
    assert kinds(buyer) == ["offer_expired"]
    assert "offer_expired" in kinds(offer_vehicle.seller)


def test_the_sweep_ends_threads_when_the_auction_starts_and_tells_the_buyer(
    auction_factory, buyer, make_offer, django_capture_on_commit_callbacks
):
    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=2),
        ends_at=timezone.now() + timedelta(days=2),
    )
    thread = make_offer(auction.vehicle, buyer, "8000")
    Auction.objects.filter(pk=auction.pk).update(starts_at=timezone.now() - timedelta(seconds=1))
    from auctions.services import auction_start

    assert auction_start(auction_id=auction.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_settle_due() == 1
    thread.refresh_from_db()
    assert thread.status == S.AUCTION_STARTED
    notice = Notification.objects.get(user=buyer)
    assert notice.kind == "offer_ended"
    assert "Bid in the auction" in notice.body


def test_the_reminder_goes_to_the_side_whose_turn_it_is_once(
    offer_vehicle, buyer, make_offer, django_capture_on_commit_callbacks
):
    thread = make_offer(offer_vehicle, buyer, "8000")
    soon = timezone.now() + timedelta(hours=11)
    OfferThread.objects.filter(pk=thread.pk).update(expires_at=soon)
    OfferAmount.objects.filter(thread=thread).update(expires_at=soon, created_at=soon - timedelta(hours=48))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.offers_remind_due() == 1
    assert services.offers_remind_due() == 0
    assert kinds(offer_vehicle.seller) == ["offer_reminder"]
    assert thread.events.filter(kind="reminded", side="seller").count() == 1


def test_locks_come_in_the_house_order_before_any_write(auction_factory, buyer, make_offer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    auction = auction_factory(
        vehicle__accepts_offers=True,
        status=Auction.Status.SCHEDULED,
        starts_at=timezone.now() + timedelta(hours=2),
        ends_at=timezone.now() + timedelta(days=2),
    )
    thread = make_offer(auction.vehicle, buyer, "8000")
    with CaptureQueriesContext(connection) as queries:
        services.offer_accept(thread_id=thread.pk, actor=auction.seller)
    statements = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, sql in enumerate(statements) if "FOR UPDATE" in sql]
    writes = [i for i, sql in enumerate(statements) if sql.startswith(("INSERT", "UPDATE", "DELETE"))]
    tables = [statements[i].split(" FROM ")[1].split()[0].strip("`") for i in locks[:3]]
    assert tables == ["auctions_auction", "vehicles_vehicle", "offers_offerthread"], tables
    assert locks[2] < writes[0], "auction, vehicle and thread are locked before the first write"
