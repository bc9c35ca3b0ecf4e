"""Claims: the buyer opens one in its window with photos, the seller answers within 2 business days (or staff take
it), staff decide; the money moves through orders' refund exactly once — two staff deciding at once, a retry,
a decision whose process died — the proceeds stay held while it is open and are adjusted after a refund."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.errors import Conflict, DomainError, NotAllowed
from fulfillment import services
from fulfillment.holds import proceeds_hold_reasons
from fulfillment.models import Claim, ClaimEvent, ClaimPhoto, ClaimStatus, ProceedsLine, SellerProceeds
from fulfillment.services import claim_decisions
from notifications.models import Notification
from orders.models import Order, Payment
from tests.fixtures.fulfillment import fulfillment_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def photo(name: str = "dent.png", data: bytes = PNG, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def deliver(order: Order) -> Order:
    """The buyer picks the vehicle up with the code: delivered, the claim window opens."""
    services.vehicle_release(order_id=order.pk, actor=order.seller)
    services.delivery_choose_pickup(order_id=order.pk, actor=order.buyer)
    services.pickup_confirm(order_id=order.pk, actor=order.seller, code=fulfillment_of(order).pickup_code)
    order.refresh_from_db()
    return order


def member(user_factory, role: str):
    person = user_factory(is_staff=True, email=f"{role}-{user_factory._meta.next_sequence()}@staff.test")
    person.groups.add(Group.objects.get(name=role))
    return type(person).objects.get(pk=person.pk)


def open_damage_claim(order: Order, **extra) -> Claim:
    return services.claim_open(
        actor=order.buyer,
        order_id=order.pk,
        category="damage",
        description="A deep scratch on the driver's door that the condition report did not mention.",
        uploads=[photo()],
        **extra,
    )


@pytest.fixture
def delivered(paid_order, fake_authorize_net):
    def make(**kwargs) -> Order:
        order = deliver(paid_order(**kwargs))
        fake_authorize_net.settle_all()  # a partial refund needs a settled charge
        return order

    return make


@pytest.mark.django_db
def test_buyer_opens_a_claim_with_photos_seller_is_told_and_the_proceeds_are_held(delivered, committed):
    order = delivered()
    with committed():
        claim = open_damage_claim(order)
    assert claim.status == ClaimStatus.AWAITING_SELLER
    assert claim.due_at == claim.seller_due_at > claim.opened_at
    assert (claim.seller_due_at - claim.opened_at) >= timedelta(days=2)
    assert claim.listing_snapshot["vin"] == order.vehicle.vin
    event = ClaimEvent.objects.get(claim=claim)
    assert (event.kind, event.role, event.actor_id) == ("opened", "buyer", order.buyer_id)
    assert ClaimPhoto.objects.filter(claim=claim, event=event, content_type="image/png").count() == 1
    assert Notification.objects.filter(user=order.seller, kind="claim_opened", body__contains="Answer").exists()
    assert Notification.objects.filter(user=order.buyer, kind="claim_opened", body__contains="received").exists()
    assert "claim_open" in {r.code for r in proceeds_hold_reasons(order)}


@pytest.mark.django_db
def test_an_open_claim_keeps_completion_from_releasing_the_proceeds(delivered, settings, staff_user):
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 0
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 0
    settings.FULFILLMENT_CLAIM_WINDOW_SECONDS = 3600
    order = delivered()
    claim = open_damage_claim(order)
    from fulfillment.services.title import required_kinds
    from tests.fixtures.fulfillment import pdf_upload

    for kind in required_kinds(order):
        services.title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=pdf_upload())
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    services.titles_poll()
    services.title_mark_delivered(order_id=order.pk, actor=order.buyer)
    later = order.delivered_at + timedelta(hours=2)
    assert not services.fulfillment_complete(order_id=order.pk, now=later)
    services.claim_decide(claim_id=claim.pk, actor=staff_user, outcome="denied", reason="Damage shown at sale.")
    assert services.fulfillment_complete(order_id=order.pk, now=later)


@pytest.mark.django_db
def test_claims_are_refused_outside_their_window_and_rules(paid_order, delivered, frozen_now, settings):
    before = paid_order()
    with pytest.raises(Conflict, match="once you have it"):
        open_damage_claim(before)
    with pytest.raises(Conflict, match="not late yet"):
        services.claim_open(actor=before.buyer, order_id=before.pk, category="title_late",
                            description="The title has not arrived and I need to register the car.")  # fmt: skip
    order = delivered()
    with pytest.raises(NotAllowed):
        services.claim_open(actor=order.seller, order_id=order.pk, category="damage",
                            description="A seller cannot open a claim on their own sale.", uploads=[photo()])  # fmt: skip
    with pytest.raises(DomainError, match="photo"):
        services.claim_open(actor=order.buyer, order_id=order.pk, category="keys",
                            description="Only one key came with the car; the listing said two.")  # fmt: skip
    with pytest.raises(Conflict, match="delivered by our carrier"):
        services.claim_open(actor=order.buyer, order_id=order.pk, category="transport_damage",
                            description="Scratched on the truck, the listing photos show no scratch.",
                            uploads=[photo()])  # fmt: skip
    with pytest.raises(DomainError):
        services.claim_open(actor=order.buyer, order_id=order.pk, category="damage", description="short",
                            uploads=[photo()])  # fmt: skip
    with pytest.raises(DomainError, match="content does not match"):
        services.claim_open(actor=order.buyer, order_id=order.pk, category="damage",
                            description="A deep scratch on the driver's door, not in the report.",
                            uploads=[photo(data=b"GIF89a not a png")])  # fmt: skip
    open_damage_claim(order)
    with pytest.raises(Conflict, match="already open"):
        open_damage_claim(order)
    late = delivered()
    frozen_now(late.delivered_at + timedelta(seconds=settings.FULFILLMENT_CLAIM_WINDOW_SECONDS + 1))
    with pytest.raises(Conflict, match="window"):
        open_damage_claim(late)
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_a_late_title_claim_opens_once_the_promised_date_passed(paid_order, frozen_now):
    order = paid_order()
    frozen_now(fulfillment_of(order).title_promised_by + timedelta(minutes=1))
    claim = services.claim_open(actor=order.buyer, order_id=order.pk, category="title_late",
                                description="The title was promised three weeks after payment; nothing yet.")  # fmt: skip
    assert claim.status == ClaimStatus.AWAITING_SELLER


@pytest.mark.django_db
def test_seller_answers_with_photos_then_staff_have_two_business_days(delivered, committed):
    order = delivered()
    claim = open_damage_claim(order)
    with pytest.raises(NotAllowed):
        services.claim_answer(actor=order.buyer, claim_id=claim.pk, message="I am not the seller.")
    with committed():
        claim = services.claim_answer(actor=order.seller, claim_id=claim.pk, message="The scratch is in photo 7.",
                                      uploads=[photo("listing.png")])  # fmt: skip
    assert claim.status == ClaimStatus.IN_REVIEW
    assert claim.due_at == claim.decision_due_at
    assert claim.seller_answered_at is not None
    assert ClaimPhoto.objects.filter(claim=claim, event__kind="seller_answered").count() == 1
    assert Notification.objects.filter(user=order.buyer, kind="claim_answered").exists()
    with pytest.raises(Conflict):
        services.claim_answer(actor=order.seller, claim_id=claim.pk, message="Again")
    with committed():
        services.claim_message(actor=order.buyer, claim_id=claim.pk, message="Photo 7 shows the other door.")
    assert Notification.objects.filter(user=order.seller, kind="claim_message", body__contains="other door").exists()


@pytest.mark.django_db
def test_a_seller_who_does_not_answer_in_time_hands_the_claim_to_staff_once(delivered, frozen_now, committed):
    order = delivered()
    claim = open_damage_claim(order)
    assert services.claims_sweep() == 0
    frozen_now(claim.seller_due_at + timedelta(minutes=1))
    with committed():
        assert services.claims_sweep() == 1
    assert services.claims_sweep() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    assert ClaimEvent.objects.filter(claim=claim, kind="seller_late").count() == 1
    assert Notification.objects.filter(user=order.seller, kind="claim_seller_late").exists()


@pytest.mark.django_db
def test_support_may_deny_but_is_refused_a_refund_and_finance_refunds_part_once(delivered, user_factory, committed):
    order = delivered(price=Decimal("10000.00"))
    claim = open_damage_claim(order)
    support, finance = member(user_factory, "support"), member(user_factory, "finance")
    with pytest.raises(NotAllowed, match="finance"):
        services.claim_decide(claim_id=claim.pk, actor=support, outcome="partial_refund", amount=Decimal("500"),
                              reason="Repair estimate")  # fmt: skip
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()
    with committed():
        claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund",
                                      amount=Decimal("500.00"), reason="Repair estimate for the door")  # fmt: skip
    assert claim.status == ClaimStatus.DECIDED
    assert claim.refunded == Decimal("500.00")
    refund = Payment.objects.get(kind=Payment.Kind.REFUND)
    assert (refund.status, refund.amount, refund.idempotency_key) == (
        "approved",
        Decimal("500.00"),
        f"claim-{claim.pk}-1-1",
    )
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("500.00")
    assert order.status == Order.Status.IN_FULFILLMENT
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.net == Decimal("10000.00") - Decimal("250.00") - Decimal("500.00")
    assert proceeds.lines.filter(kind=ProceedsLine.Kind.ADJUSTMENT, amount=Decimal("-500.00")).count() == 1
    for person in (order.buyer, order.seller):
        assert Notification.objects.filter(user=person, kind="claim_decided", body__contains="Repair estimate").exists()
    assert "claim_open" not in {r.code for r in proceeds_hold_reasons(order)}
    with pytest.raises(Conflict):
        services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund", amount=Decimal("500.00"),
                              reason="Again")  # fmt: skip
    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1


@pytest.mark.django_db
def test_a_full_refund_with_return_reverses_the_sale_and_zeroes_the_proceeds(delivered, user_factory):
    order = delivered()
    claim = open_damage_claim(order)
    finance = member(user_factory, "finance")
    claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="full_refund_return",
                                  reason="Frame damage hidden; the seller takes the car back")  # fmt: skip
    order.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNING  # decided: the vehicle goes back next (test_claim_returns.py)
    assert claim.outcome == "full_refund_return"
    assert claim.refunded == order.amount_paid
    assert order.status == Order.Status.REFUNDED
    assert order.amount_refunded == order.amount_paid
    assert SellerProceeds.objects.get(order=order).net == Decimal("0.00")


@pytest.mark.django_db
def test_a_refused_refund_puts_the_claim_back_for_a_new_decision(paid_order, fake_authorize_net, user_factory):
    order = deliver(paid_order())  # the charge has not settled: only a full void is possible today
    claim = open_damage_claim(order)
    finance = member(user_factory, "finance")
    claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund",
                                  amount=Decimal("300.00"), reason="Repair")  # fmt: skip
    assert claim.status == ClaimStatus.IN_REVIEW
    assert ClaimEvent.objects.filter(claim=claim, kind="refund_failed").exists()
    assert SellerProceeds.objects.get(order=order).lines.filter(kind="adjustment").count() == 0
    fake_authorize_net.settle_all()
    claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund",
                                  amount=Decimal("300.00"), reason="Repair, after settlement")  # fmt: skip
    assert claim.status == ClaimStatus.DECIDED
    assert claim.refunded == Decimal("300.00")
    assert Payment.objects.filter(kind=Payment.Kind.REFUND, status="approved").count() == 1


@pytest.mark.django_db
def test_a_decision_whose_process_died_is_resumed_by_beat_with_the_same_refund(delivered, user_factory, monkeypatch):
    order = delivered()
    claim = open_damage_claim(order)
    finance = member(user_factory, "finance")

    def crash(**kwargs):
        raise RuntimeError("worker killed after the decision committed")

    monkeypatch.setattr(claim_decisions, "claim_refund_steps", crash)
    with pytest.raises(RuntimeError):
        services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund", amount=Decimal("700"),
                              reason="Repair")  # fmt: skip
    monkeypatch.undo()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SETTLING
    assert services.claims_settle_stalled() == 0  # not stalled yet: the request may still be sending it
    later = claim.settling_since + timedelta(minutes=2)
    assert services.claims_settle_stalled(now=later) == 1
    assert services.claims_settle_stalled(now=later) == 0
    claim_decisions.claim_refund_steps(claim_id=claim.pk)  # a late retry of the first request
    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECIDED
    assert claim.refunded == Decimal("700.00")


# --- races on MariaDB --------------------------------------------------------------------------------------------


def run_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def body(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 - asserted by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_two_staff_deciding_at_once_refund_exactly_once(delivered, user_factory):
    order = delivered(price=Decimal("15000.00"))
    claim = open_damage_claim(order)
    deciders = [member(user_factory, "finance"), member(user_factory, "admin")]
    results = run_threads(
        2,
        lambda i: services.claim_decide(claim_id=claim.pk, actor=deciders[i], outcome="partial_refund",
                                        amount=Decimal("1234.56"), reason=f"Repair ({i})"),
    )  # fmt: skip
    conflicts = [r for r in results if isinstance(r, Conflict)]
    decided = [r for r in results if isinstance(r, Claim)]
    assert (len(conflicts), len(decided)) == (1, 1), results
    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("1234.56")
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.lines.filter(kind="adjustment").count() == 1
    assert proceeds.net == Decimal("15000.00") - Decimal("375.00") - Decimal("1234.56")
    # and the beat's resume, racing a retry of the same decision, sends nothing more
    later = run_threads(2, lambda i: services.claims_settle_stalled() if i else claim_decisions.claim_settle(
        claim_id=claim.pk))  # fmt: skip
    assert not any(isinstance(r, Exception) for r in later), later
    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1
