"""A claim's refund whose outcome is unknown (the gateway acted but its answer was lost, or no answer at all): the
claim stays settling but is visible — staff told, the home page counts it, the claim page says what to do — and the
payments' reconciliation settles the refund exactly once, after which the claim moves on. Against the fake
Authorize.Net server speaking the XML API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.authorize_net import AuthorizeNetUnavailable, get_gateway
from fulfillment import services
from fulfillment.models import Claim, ClaimEvent, ClaimStatus, ProceedsLine, SellerProceeds
from fulfillment.tests.test_claims import delivered, member, open_damage_claim  # noqa: F401 - fixture
from notifications.models import Notification
from orders.models import Order, Payment
from orders.payments import payments_reconcile_unknown


def refunds_at_gateway(fake) -> list:
    return [t for t in fake.transactions.values() if t.type == "refundTransaction"]


def home_count(client, key: str) -> str:
    page = client.get(reverse("admin:index")).content.decode()
    start = page.index(f'data-attention="{key}"')
    return page[page.index("data-count>", start) + len("data-count>") :].split("<", 1)[0]


@pytest.mark.django_db
def test_a_refund_whose_answer_was_lost_is_visible_then_reconciled_once_and_the_claim_moves_on(
    delivered,  # noqa: F811 - the fixture imported above
    fake_authorize_net,
    settings,
    user_factory,
    committed,
    client,
):
    order = delivered(price=Decimal("10000.00"))
    claim = open_damage_claim(order)
    finance = member(user_factory, "finance")
    settings.AUTHORIZE_NET_TIMEOUT = 0.5
    fake_authorize_net.respond_delay_once = 1.5  # the gateway refunds, then its answer comes too late
    fake_authorize_net.late_once_for = "refundTransaction"
    with committed():
        claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="partial_refund",
                                      amount=Decimal("800.00"), reason="Repair of the door")  # fmt: skip
    assert claim.status == ClaimStatus.SETTLING
    refund = Payment.objects.get(kind=Payment.Kind.REFUND)
    assert refund.status == Payment.Status.UNKNOWN
    assert len(refunds_at_gateway(fake_authorize_net)) == 1  # the money did move
    order.refresh_from_db()
    assert order.amount_refunded == Decimal("0.00")  # not recorded while unknown
    # visible: an event on the claim, staff told at once, the home page's counts, the claim page's advice
    assert ClaimEvent.objects.filter(claim=claim, kind="refund_unknown").count() == 1
    assert Notification.objects.filter(user=finance, kind="staff_alert", title__contains="outcome is unknown").exists()
    client.force_login(order.buyer)  # the buyer reads that the refund is being confirmed, not our alarms
    buyer_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "The refund is being confirmed with the card processor" in buyer_page
    assert "outcome is unknown" not in buyer_page
    Claim.objects.filter(pk=claim.pk).update(settling_since=claim.settling_since - timedelta(minutes=5))
    client.force_login(finance)
    assert home_count(client, "payments_held") == "1"
    assert home_count(client, "claim_refunds_unknown") == "1"
    page = client.get(reverse("admin:fulfillment_claim_change", args=[claim.pk])).content.decode()
    assert "data-refund-unknown" in page
    assert "Payment outcome unknown" in page
    assert "Do not refund it again by hand" in page
    assert "Ask the payment processor now" in page
    # orders' reconciliation: the identical refund again is a duplicate naming the first, which is read
    assert payments_reconcile_unknown(older_than_seconds=0) == 1
    refund.refresh_from_db()
    assert refund.status == Payment.Status.APPROVED
    assert refund.gateway_transaction_id == refunds_at_gateway(fake_authorize_net)[0].id
    assert len(refunds_at_gateway(fake_authorize_net)) == 1
    # and the claims' beat moves the claim on
    with committed():
        assert services.claims_settle_stalled() == 1
    claim.refresh_from_db()
    order.refresh_from_db()
    assert (claim.status, claim.refunded) == (ClaimStatus.DECIDED, Decimal("800.00"))
    assert order.amount_refunded == Decimal("800.00")
    proceeds = SellerProceeds.objects.get(order=order)
    assert proceeds.lines.filter(kind=ProceedsLine.Kind.ADJUSTMENT, amount=Decimal("-800.00")).count() == 1
    assert ClaimEvent.objects.filter(claim=claim, kind="refund_unknown").count() == 1
    assert Notification.objects.filter(user=order.buyer, kind="claim_decided").exists()
    assert home_count(client, "payments_held") == "0"
    assert home_count(client, "claim_refunds_unknown") == "0"


class NoAnswerToRefunds:
    """The real client, except that a refund gets no answer and never reaches the gateway."""

    def __init__(self) -> None:
        self.inner = get_gateway()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def refund(self, **kwargs):
        raise AuthorizeNetUnavailable("Read timed out")


@pytest.mark.django_db
def test_a_refund_that_never_arrived_is_sent_by_the_console_button_and_the_return_starts(
    delivered,  # noqa: F811 - the fixture imported above
    fake_authorize_net,
    user_factory,
    client,
):
    order = delivered(price=Decimal("12000.00"))
    claim = open_damage_claim(order)
    finance = member(user_factory, "finance")
    claim = services.claim_decide(claim_id=claim.pk, actor=finance, outcome="full_refund_return",
                                  reason="Frame damage", gateway=NoAnswerToRefunds())  # fmt: skip
    assert claim.status == ClaimStatus.SETTLING
    assert Payment.objects.get(kind=Payment.Kind.REFUND).status == Payment.Status.UNKNOWN
    assert refunds_at_gateway(fake_authorize_net) == []
    support = member(user_factory, "support")
    client.force_login(support)
    button = reverse("admin:fulfillment_claim_reconcile", args=[claim.pk])
    assert (
        "Ask the payment processor now"
        not in client.get(reverse("admin:fulfillment_claim_change", args=[claim.pk])).content.decode()
    )
    assert client.post(button).status_code == 403  # it may send a refund: finance only
    client.force_login(finance)
    response = client.post(button, follow=True)
    assert response.status_code == 200
    assert "The refund is confirmed" in response.content.decode()
    assert len(refunds_at_gateway(fake_authorize_net)) == 1  # sent now, once
    claim.refresh_from_db()
    order.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNING  # moved on: the vehicle goes back next
    assert (order.status, order.amount_refunded) == (Order.Status.REFUNDED, order.amount_paid)
    assert client.post(button, follow=True).status_code == 200  # again: nothing more is sent
    assert len(refunds_at_gateway(fake_authorize_net)) == 1
