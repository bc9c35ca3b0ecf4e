"""The vehicle's return after a claim decided as a full refund with return: the refund and the seller's proceeds
at the decision, then who acts and by when (the buyer returns it, the seller confirms receipt, staff may mark it
returned), each step told to both parties, on the order page and in the API; a late return told once; confirming
twice or at the same moment makes one transition (raced on MariaDB)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import Conflict, NotAllowed
from fulfillment import selectors, services
from fulfillment.models import Claim, ClaimEvent, ClaimStatus, SellerProceeds
from fulfillment.tests.test_claims import delivered, member, open_damage_claim, run_threads  # noqa: F401 - fixture
from notifications.models import Notification
from orders.models import Order, Payment
from tests.fixtures.fulfillment import fulfillment_of


@pytest.fixture
def returning(delivered, user_factory, committed):  # noqa: F811 - the fixture imported above
    """A claim decided as a full refund with return (the refund went through)."""

    def make(**kwargs) -> Claim:
        order = delivered(**kwargs)
        claim = open_damage_claim(order)
        with committed():
            return services.claim_decide(claim_id=claim.pk, actor=member(user_factory, "finance"),
                                         outcome="full_refund_return", reason="Frame damage hidden")  # fmt: skip

    return make


@pytest.mark.django_db
def test_the_decision_refunds_at_once_and_the_buyer_returns_the_vehicle_next(returning):
    claim = returning()
    order = Order.objects.get(pk=claim.order_id)
    assert claim.status == ClaimStatus.RETURNING
    assert claim.is_open
    assert claim.return_step == "buyer"
    assert claim.due_at == claim.return_due_at
    assert claim.return_due_at - claim.decided_at >= timedelta(days=5)  # 5 business days
    # the money: refunded at the decision, the sale reversed, the seller's proceeds zero
    assert (order.status, order.amount_refunded) == (Order.Status.REFUNDED, order.amount_paid)
    assert claim.refunded == order.amount_paid
    assert SellerProceeds.objects.get(order=order).net == Decimal("0.00")
    buyer_notice = Notification.objects.get(user=order.buyer, kind="claim_decided")
    assert "Please return the vehicle to the seller by" in buyer_notice.body
    seller_notice = Notification.objects.get(user=order.seller, kind="claim_decided")
    assert "confirm on the order page when it is back" in seller_notice.body
    # the order page's one next action: the buyer's, with the deadline, seen by both
    f = fulfillment_of(order)
    for role in ("buyer", "seller", "staff"):
        action = selectors.next_action(order, f, role=role)
        assert (action.who, action.by) == ("buyer", claim.return_due_at)


@pytest.mark.django_db
def test_buyer_sends_it_back_then_the_seller_confirms_once(returning, committed):
    claim = returning()
    order = claim.order
    with pytest.raises(NotAllowed):
        services.claim_return_sent(actor=order.seller, claim_id=claim.pk)
    with pytest.raises(NotAllowed):
        services.claim_return_received(actor=order.buyer, claim_id=claim.pk)
    with committed():
        claim = services.claim_return_sent(actor=order.buyer, claim_id=claim.pk, note="Carrier: Acme, Tue")
    assert claim.return_step == "seller"
    assert claim.due_at == claim.receipt_due_at > claim.return_sent_at
    assert Notification.objects.filter(user=order.seller, kind="claim_return_sent", body__contains="Acme").exists()
    assert Notification.objects.filter(user=order.buyer, kind="claim_return_sent").exists()
    action = selectors.next_action(order, fulfillment_of(order), role="buyer")
    assert (action.who, action.by) == ("seller", claim.receipt_due_at)
    with pytest.raises(Conflict) as again:
        services.claim_return_sent(actor=order.buyer, claim_id=claim.pk)
    assert again.value.code == "return_sent"

    with committed():
        claim = services.claim_return_received(actor=order.seller, claim_id=claim.pk)
    assert (claim.status, claim.return_step, claim.due_at) == (ClaimStatus.DECIDED, "returned", None)
    assert claim.returned_by_id == order.seller_id
    for person in (order.buyer, order.seller):
        assert Notification.objects.filter(user=person, kind="claim_returned", body__contains="by the seller").exists()
    with pytest.raises(Conflict) as twice:
        services.claim_return_received(actor=order.seller, claim_id=claim.pk)
    assert twice.value.code == "returned"
    assert ClaimEvent.objects.filter(claim=claim, kind="returned").count() == 1
    action = selectors.next_action(order, fulfillment_of(order), role="buyer")
    assert (action.who, action.text) == ("nobody", "The sale was refunded")
    assert Payment.objects.filter(kind__in=["refund", "void"]).count() == 1  # the return moved no money


@pytest.mark.django_db
def test_staff_mark_it_returned_and_a_late_return_is_told_once(returning, user_factory, committed):
    claim = returning()
    order = claim.order
    late = claim.return_due_at + timedelta(minutes=1)
    assert services.claims_returns_sweep(now=claim.return_due_at - timedelta(minutes=1)) == 0
    with committed():
        assert services.claims_returns_sweep(now=late) == 1
    assert services.claims_returns_sweep(now=late + timedelta(hours=1)) == 0
    assert ClaimEvent.objects.filter(claim=claim, kind="return_late").count() == 1
    for person in (order.buyer, order.seller):
        assert Notification.objects.filter(user=person, kind="claim_return_late", body__contains="not been returned")
    auctions_staff = member(user_factory, "auctions")
    with pytest.raises(NotAllowed):
        services.claim_return_received(actor=auctions_staff, claim_id=claim.pk)
    with committed():
        claim = services.claim_return_received(actor=member(user_factory, "support"), claim_id=claim.pk,
                                               note="The seller phoned: the car is back on the lot.")  # fmt: skip
    assert claim.status == ClaimStatus.DECIDED
    event = ClaimEvent.objects.get(claim=claim, kind="returned")
    assert (event.role, event.message) == ("staff", "The seller phoned: the car is back on the lot.")
    assert Notification.objects.filter(user=order.buyer, kind="claim_returned", body__contains="our staff").exists()


@pytest.mark.django_db
def test_the_order_page_shows_each_side_its_step_and_its_form(returning, client):
    claim = returning()
    order = claim.order
    page = f"/orders/{order.pk}/"
    client.force_login(order.buyer)
    text = client.get(page).content.decode()
    assert 'data-testid="return-sent-form"' in text
    assert "Return the vehicle to the seller by" in text
    response = client.post(f"/orders/{order.pk}/claims/{claim.pk}/return-sent/", {"note": "Dropped at the lot"})
    assert response.status_code == 302
    client.force_login(order.seller)
    text = client.get(page).content.decode()
    assert 'data-testid="return-received-form"' in text
    assert "Dropped at the lot" in text
    assert client.post(f"/orders/{order.pk}/claims/{claim.pk}/return-received/").status_code == 302
    text = client.get(page).content.decode()
    assert 'data-step="returned"' in text
    assert 'data-testid="return-received-form"' not in text
    again = client.post(f"/orders/{order.pk}/claims/{claim.pk}/return-received/", follow=True)
    assert "already confirmed" in again.content.decode()


@pytest.mark.django_db
def test_the_api_shows_the_return_and_takes_each_step_once(returning, api_client):
    claim = returning()
    order = claim.order
    api_client.force_authenticate(order.buyer)
    body = api_client.get(f"/api/claims/{claim.pk}").json()["data"]
    assert (body["status"], body["return_step"]) == ("returning", "buyer")
    assert body["return_due_at"]
    assert body["due_at"] == body["return_due_at"]
    sent = api_client.post(f"/api/claims/{claim.pk}/return-sent", {"note": "On a carrier"}, format="json")
    assert sent.status_code == 200, sent.json()
    assert sent.json()["data"]["return_step"] == "seller"
    assert api_client.post(f"/api/claims/{claim.pk}/return-received", {}, format="json").status_code == 403
    api_client.force_authenticate(order.seller)
    received = api_client.post(f"/api/claims/{claim.pk}/return-received", {}, format="json")
    assert received.status_code == 200, received.json()
    assert (received.json()["data"]["status"], received.json()["data"]["return_step"]) == ("decided", "returned")
    twice = api_client.post(f"/api/claims/{claim.pk}/return-received", {}, format="json")
    assert (twice.status_code, twice.json()["code"]) == (409, "returned")


@pytest.mark.django_db(transaction=True)
@pytest.mark.race
def test_the_seller_and_staff_confirming_at_once_make_one_transition(returning, user_factory):
    claim = returning()
    order = claim.order
    confirmers = [order.seller, member(user_factory, "support"), order.seller]
    results = run_threads(3, lambda i: services.claim_return_received(actor=confirmers[i], claim_id=claim.pk))
    done = [r for r in results if isinstance(r, Claim)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(done), len(conflicts)) == (1, 2), results
    assert {c.code for c in conflicts} == {"returned"}
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECIDED
    assert ClaimEvent.objects.filter(claim=claim, kind="returned").count() == 1
    assert Notification.objects.filter(user=order.buyer, kind="claim_returned").count() == 1
