"""The engine against every example and rule of shared/BIDDING.md, and invariants over random bid sequences."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auctions import engine
from auctions.engine import AuctionState, Rejection, ReplayBid, Terms

D = Decimal


def place(terms: Terms, state: AuctionState, bidder: str, amount: str) -> engine.BidOutcome:
    return engine.resolve_bid(terms, state, bidder_id=bidder, max_amount=D(amount))


# --- increments and minimum next bid ------------------------------------------------


@pytest.mark.parametrize(
    ("price", "step"),
    [
        ("0", "25"),
        ("999.99", "25"),
        ("1000", "50"),
        ("4999", "50"),
        ("5000", "100"),
        ("24999.99", "100"),
        ("25000", "250"),
        ("50000", "500"),
        ("99999", "500"),
        ("100000", "1000"),
        ("2500000", "1000"),
    ],
)
def test_increment_follows_the_default_table(price, step):
    assert engine.increment(D(price)) == D(step)


def test_minimum_next_bid_is_the_starting_price_without_bids():
    assert engine.minimum_next_bid(Terms(starting_price=D("5000")), AuctionState()) == D("5000")


def test_minimum_next_bid_is_price_plus_increment_of_the_price():
    terms = Terms(starting_price=D("900"))
    state = place(terms, AuctionState(), "A", "2000").state
    assert state.current_price == D("900")
    assert engine.minimum_next_bid(terms, state) == D("925")


# --- the examples of BIDDING.md, in order ------------------------------------------------


def test_bidding_md_examples_in_sequence():
    terms = Terms(starting_price=D("5000"))
    state = AuctionState()

    a = place(terms, state, "A", "6000")
    assert a.accepted
    assert a.state.leader_id == "A"
    assert a.state.current_price == D("5000")

    b = place(terms, a.state, "B", "5500")
    assert b.accepted
    assert b.state.leader_id == "A"
    assert b.state.current_price == D("5600")

    b2 = place(terms, b.state, "B", "6000")
    assert b2.accepted
    assert b2.state.leader_id == "A"
    assert b2.state.current_price == D("6000")

    c = place(terms, b2.state, "C", "9000")
    assert c.accepted
    assert c.state.leader_id == "C"
    assert c.state.current_price == D("6100")
    assert c.previous_leader_id == "A"
    assert c.leader_changed


def test_bidding_md_reserve_jump_example():
    terms = Terms(starting_price=D("5000"), reserve_price=D("8000"))
    outcome = place(terms, AuctionState(), "D", "10000")
    assert outcome.state.leader_id == "D"
    assert outcome.state.current_price == D("8000")
    assert engine.reserve_status(terms, outcome.state) is engine.ReserveStatus.MET


# --- rule by rule ---------------------------------------------------------------------


def test_bid_below_minimum_is_rejected_with_the_minimum():
    terms = Terms(starting_price=D("5000"))
    outcome = place(terms, AuctionState(), "A", "4999.99")
    assert not outcome.accepted
    assert outcome.rejection is Rejection.BELOW_MINIMUM
    assert outcome.minimum == D("5000")
    assert outcome.state == AuctionState()


def test_max_equal_to_minimum_next_bid_is_an_ordinary_bid():
    terms = Terms(starting_price=D("5000"))
    state = place(terms, AuctionState(), "A", "6000").state
    outcome = place(terms, state, "B", "5100")
    assert outcome.accepted
    assert outcome.state.current_price == D("5200")


def test_leader_raising_own_max_never_moves_the_price():
    terms = Terms(starting_price=D("5000"))
    state = place(terms, AuctionState(), "A", "5550").state
    state = place(terms, state, "B", "5500").state
    assert state.current_price == D("5550")
    raised = place(terms, state, "A", "8000")
    assert raised.accepted
    assert raised.state.current_price == D("5550")
    assert raised.state.leader_max == D("8000")


def test_leader_raise_is_accepted_below_the_minimum_next_bid_if_above_own_max():
    terms = Terms(starting_price=D("5000"))
    state = place(terms, AuctionState(), "A", "5000").state
    raised = place(terms, state, "A", "5001")
    assert raised.accepted
    assert raised.state.current_price == D("5000")


def test_leader_cannot_lower_or_repeat_own_max():
    terms = Terms(starting_price=D("5000"))
    state = place(terms, AuctionState(), "A", "6000").state
    for amount in ("6000", "5900"):
        outcome = place(terms, state, "A", amount)
        assert not outcome.accepted
        assert outcome.rejection is Rejection.NOT_ABOVE_OWN_MAX


def test_leader_raise_applies_the_reserve_jump():
    terms = Terms(starting_price=D("5000"), reserve_price=D("7000"))
    state = place(terms, AuctionState(), "A", "6000").state
    assert state.current_price == D("5000")
    raised = place(terms, state, "A", "7500")
    assert raised.state.current_price == D("7000")


def test_raising_your_max_gives_up_your_place_among_equal_maxima():
    terms = Terms(starting_price=D("1000"))
    state = place(terms, AuctionState(), "A", "2000").state
    state = place(terms, state, "B", "3000").state  # B leads, placed 3000 at seq 2
    state = place(terms, state, "A", "3000").state  # equal max placed later: B keeps the lead
    assert state.leader_id == "B"
    assert state.current_price == D("3000")


def test_one_bidder_pays_the_starting_price():
    terms = Terms(starting_price=D("5000"))
    assert place(terms, AuctionState(), "A", "50000").state.current_price == D("5000")


def test_lowering_the_reserve_applies_the_jump_at_once():
    terms = Terms(starting_price=D("5000"), reserve_price=D("9000"))
    state = place(terms, AuctionState(), "A", "8000").state
    assert state.current_price == D("5000")
    lowered = Terms(starting_price=D("5000"), reserve_price=D("7500"))
    assert engine.apply_reserve_change(lowered, state).current_price == D("7500")


def test_reserve_status_labels():
    assert engine.reserve_status(Terms(starting_price=D("1")), AuctionState()) is engine.ReserveStatus.NO_RESERVE
    terms = Terms(starting_price=D("100"), reserve_price=D("500"))
    assert engine.reserve_status(terms, AuctionState()) is engine.ReserveStatus.NOT_MET
    assert engine.reserve_status(terms, place(terms, AuctionState(), "A", "400").state) is engine.ReserveStatus.NOT_MET


def test_buy_now_is_offered_until_the_first_bid_without_reserve():
    terms = Terms(starting_price=D("100"), buy_now_price=D("1000"))
    assert engine.buy_now_available(terms, AuctionState())
    assert not engine.buy_now_available(terms, place(terms, AuctionState(), "A", "100").state)


def test_buy_now_is_offered_until_a_bid_meets_the_reserve():
    terms = Terms(starting_price=D("100"), reserve_price=D("500"), buy_now_price=D("1000"))
    state = place(terms, AuctionState(), "A", "400").state
    assert engine.buy_now_available(terms, state)
    state = place(terms, state, "B", "600").state
    assert not engine.buy_now_available(terms, state)


def test_no_buy_now_without_a_buy_now_price():
    assert not engine.buy_now_available(Terms(starting_price=D("100")), AuctionState())


# --- soft close ----------------------------------------------------------------------

END = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)


def test_bid_in_the_last_two_minutes_extends_to_acceptance_plus_two_minutes():
    terms = Terms(starting_price=D("1"))
    accepted = END - timedelta(seconds=30)
    assert engine.extended_end(terms, ends_at=END, accepted_at=accepted) == accepted + timedelta(minutes=2)


def test_bid_before_the_window_does_not_extend():
    terms = Terms(starting_price=D("1"))
    assert engine.extended_end(terms, ends_at=END, accepted_at=END - timedelta(minutes=2, seconds=1)) == END


def test_extension_never_shortens_the_auction():
    terms = Terms(
        starting_price=D("1"), soft_close_window=timedelta(minutes=5), soft_close_extension=timedelta(minutes=1)
    )
    assert engine.extended_end(terms, ends_at=END, accepted_at=END - timedelta(minutes=4)) == END


def test_window_and_extension_are_per_auction():
    terms = Terms(
        starting_price=D("1"), soft_close_window=timedelta(minutes=5), soft_close_extension=timedelta(minutes=10)
    )
    accepted = END - timedelta(minutes=4)
    assert engine.extended_end(terms, ends_at=END, accepted_at=accepted) == accepted + timedelta(minutes=10)


# --- close outcome ------------------------------------------------------------------------


def test_close_without_bids_is_unsold():
    assert engine.close_outcome(Terms(starting_price=D("1")), AuctionState()) is engine.CloseOutcome.UNSOLD


def test_close_with_reserve_met_is_sold_and_not_met_goes_to_the_seller():
    terms = Terms(starting_price=D("100"), reserve_price=D("500"))
    low = place(terms, AuctionState(), "A", "400").state
    assert engine.close_outcome(terms, low) is engine.CloseOutcome.RESERVE_NOT_MET
    high = place(terms, low, "B", "700").state
    assert engine.close_outcome(terms, high) is engine.CloseOutcome.SOLD


def test_close_with_a_bid_and_no_reserve_is_sold():
    terms = Terms(starting_price=D("100"))
    assert engine.close_outcome(terms, place(terms, AuctionState(), "A", "100").state) is engine.CloseOutcome.SOLD


# --- replay (voiding recomputes from the remaining bids) --------------------------------------


def test_replay_without_the_voided_bid_recomputes_leader_and_price():
    terms = Terms(starting_price=D("5000"))
    bids = [ReplayBid("A", D("6000"), 1), ReplayBid("B", D("5500"), 2), ReplayBid("C", D("9000"), 3)]
    assert engine.replay(terms, bids).leader_id == "C"
    remaining = [b for b in bids if b.seq != 3]
    state = engine.replay(terms, remaining)
    assert (state.leader_id, state.current_price, state.bid_count, state.last_seq) == ("A", D("5600"), 2, 2)


def test_replay_of_nothing_is_the_empty_state():
    assert engine.replay(Terms(starting_price=D("1")), []) == AuctionState()


# --- properties over random sequences ----------------------------------------------------------

amounts = st.integers(min_value=1, max_value=400_000).map(lambda cents: D(cents) / 4)  # quarters of a dollar
bidders = st.sampled_from(["A", "B", "C", "D", "E"])
starts = st.integers(min_value=1, max_value=120_000).map(D)


@st.composite
def auctions(draw):
    start = draw(starts)
    reserve = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=150_000).map(lambda extra: start + extra)))
    tries = draw(st.lists(st.tuples(bidders, amounts, st.booleans()), max_size=40))
    return Terms(starting_price=start, reserve_price=reserve), tries


def reference_leader(maxima: dict[str, tuple[Decimal, int]]) -> tuple[str, Decimal, Decimal | None]:
    """Rule 1 computed from scratch: highest max, earliest placement among equal maxima."""
    leader = min(maxima, key=lambda b: (-maxima[b][0], maxima[b][1]))
    others = [m for b, (m, _) in maxima.items() if b != leader]
    return leader, maxima[leader][0], max(others) if others else None


@settings(max_examples=400, deadline=None)
@given(auctions())
def test_invariants_hold_over_random_bid_sequences(case):
    terms, tries = case
    state = AuctionState()
    maxima: dict[str, tuple[Decimal, int]] = {}
    accepted: list[ReplayBid] = []
    for bidder, amount, near_minimum in tries:
        if near_minimum:  # half the bids aim just at the minimum, so sequences stay interesting
            amount = engine.minimum_next_bid(terms, state) + amount % 300
        before = state
        outcome = engine.resolve_bid(terms, state, bidder_id=bidder, max_amount=amount)
        if not outcome.accepted:
            assert outcome.state == before
            if bidder == before.leader_id:
                assert amount <= before.leader_max
            else:
                assert amount < engine.minimum_next_bid(terms, before)
            continue
        state = outcome.state
        accepted.append(ReplayBid(bidder, amount, state.last_seq))
        assert bidder not in maxima or amount > maxima[bidder][0], "a bidder's max only grows"
        maxima[bidder] = (amount, state.last_seq)

        leader, leader_max, runner_up = reference_leader(maxima)
        assert state.leader_id == leader, "leader holds the highest max, earliest among equal maxima"
        assert state.leader_max == leader_max
        assert state.runner_up_max == runner_up
        price = state.current_price
        assert price is not None
        assert price <= state.leader_max, "price never above the leader's max"
        assert price >= terms.starting_price, "price never below the start"
        if before.current_price is not None:
            assert price >= before.current_price, "price never decreases"
        # the price formula (rules 2-4); a leader's own raise keeps the price (rule 5)
        formula = terms.starting_price if runner_up is None else engine.contested_price(terms, leader_max, runner_up)
        if terms.reserve_price is not None and leader_max >= terms.reserve_price:
            formula = max(formula, terms.reserve_price)
        if bidder == before.leader_id:
            expected = before.current_price
            if terms.reserve_price is not None and leader_max >= terms.reserve_price:
                expected = max(expected, terms.reserve_price)
            assert price == expected
            assert price <= formula
        else:
            assert price == formula
        met = engine.reserve_status(terms, state)
        if terms.reserve_price is None:
            assert met is engine.ReserveStatus.NO_RESERVE
        else:
            assert (met is engine.ReserveStatus.MET) == (leader_max >= terms.reserve_price)
    assert engine.replay(terms, accepted) == state, "replaying the accepted bids gives the same state"


@settings(max_examples=200, deadline=None)
@given(auctions(), st.data())
def test_replay_after_voiding_any_bid_keeps_the_invariants(case, data):
    terms, tries = case
    state = AuctionState()
    accepted: list[ReplayBid] = []
    for bidder, amount, _ in tries:
        outcome = engine.resolve_bid(terms, state, bidder_id=bidder, max_amount=amount)
        if outcome.accepted:
            state = outcome.state
            accepted.append(ReplayBid(bidder, amount, state.last_seq))
    if not accepted:
        return
    voided = data.draw(st.sampled_from(accepted))
    remaining = [b for b in accepted if b is not voided]
    recomputed = engine.replay(terms, remaining)
    assert recomputed.bid_count == len(remaining)
    if remaining:
        assert recomputed.current_price is not None
        assert recomputed.leader_max is not None
        assert terms.starting_price <= recomputed.current_price <= recomputed.leader_max
        assert recomputed.leader_max == max(b.max_amount for b in remaining)
