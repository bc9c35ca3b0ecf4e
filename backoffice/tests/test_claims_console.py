"""The console's side of claims and title documents: the queue by deadline with filters, the claim page with the
whole order, decisions per role (support denies but is refused a refund; finance refunds), the home page's
counts, and title documents approved or rejected from their detail page (per role)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from fulfillment.models import Claim, ClaimStatus, Fulfillment, TitleDocument, TitleStatus
from fulfillment.tests.test_claims import deliver, open_damage_claim
from orders.models import Payment


@pytest.fixture
def claim(paid_order, fake_authorize_net) -> Claim:
    order = deliver(paid_order())
    fake_authorize_net.settle_all()
    return open_damage_claim(order)


def page_of(claim: Claim) -> str:
    return reverse("admin:fulfillment_claim_change", args=[claim.pk])


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [("support", 200), ("finance", 200), ("admin", 200), ("auctions", 403)])
def test_who_sees_the_claim_page_and_it_shows_the_whole_order(console, claim, role, status):
    client = console(role)
    response = client.get(page_of(claim))
    assert response.status_code == status
    if status == 200:
        text = response.content.decode()
        assert claim.order.number in text
        assert "A deep scratch on the driver" in text  # the buyer's message
        assert f"/orders/{claim.order_id}/claims/{claim.pk}/photos/" in text  # the buyer's photo
        assert "data-condition-report" in text  # as listed
        assert "The order&#x27;s timeline" in text or "The order's timeline" in text
        assert "Picked up" in text or "picked up" in text  # the vehicle track's event


@pytest.mark.django_db
def test_support_denies_but_is_refused_a_refund(console, claim):
    client = console("support")
    page = client.get(page_of(claim)).content.decode()
    assert 'value="partial_refund"' not in page  # refunds are not offered to support
    refused = client.post(
        reverse("admin:fulfillment_claim_decide", args=[claim.pk]),
        {"outcome": "partial_refund", "amount": "100.00", "reason": "Repair", "charge_seller": "on"},
    )
    assert refused.status_code == 403
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()
    denied = client.post(
        reverse("admin:fulfillment_claim_decide", args=[claim.pk]),
        {"outcome": "denied", "reason": "The scratch shows in listing photo 7."},
    )
    assert denied.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.outcome) == (ClaimStatus.DECIDED, "denied")
    entry = LogEntry.objects.get(additional_data__action="claim_decide")
    assert entry.changes["status"] == ["awaiting_seller", "decided"]


@pytest.mark.django_db
def test_finance_decides_a_partial_refund_from_the_claim_page(console, claim):
    client = console("finance")
    assert 'value="partial_refund"' in client.get(page_of(claim)).content.decode()
    bad = client.post(
        reverse("admin:fulfillment_claim_decide", args=[claim.pk]),
        {"outcome": "partial_refund", "amount": "1,00", "reason": "Repair"},
    )
    assert bad.status_code == 400  # the one amount grammar
    response = client.post(
        reverse("admin:fulfillment_claim_decide", args=[claim.pk]),
        {"outcome": "partial_refund", "amount": "400.00", "reason": "Repair estimate", "charge_seller": "on"},
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DECIDED
    assert claim.refunded == Decimal("400.00")
    assert "Repair estimate" in client.get(page_of(claim)).content.decode()


@pytest.mark.django_db
def test_staff_message_reaches_both_parties_and_auctions_may_not_write(console, claim):
    response = console("support").post(
        reverse("admin:fulfillment_claim_message", args=[claim.pk]), {"message": "Please send the repair quote."}
    )
    assert response.status_code == 302
    assert claim.events.filter(kind="message", role="staff").count() == 1
    assert (
        console("auctions")
        .post(reverse("admin:fulfillment_claim_message", args=[claim.pk]), {"message": "x"})
        .status_code
        == 403
    )


@pytest.mark.django_db
def test_the_queue_sorts_by_deadline_and_filters_overdue(console, claim, paid_order, fake_authorize_net):
    other = open_damage_claim(deliver(paid_order()))
    Claim.objects.filter(pk=other.pk).update(due_at=claim.due_at - timedelta(days=5))
    client = console("support")
    listing = client.get(reverse("admin:fulfillment_claim_changelist")).content.decode()
    assert listing.index(f"Claim #{other.pk}<") < listing.index(f"Claim #{claim.pk}<")
    overdue = client.get(reverse("admin:fulfillment_claim_changelist") + "?deadline=overdue").content.decode()
    assert f"Claim #{other.pk}<" in overdue
    assert f"Claim #{claim.pk}<" not in overdue


@pytest.mark.django_db
def test_home_counts_title_documents_late_documents_and_claims(console, claim, paid_order, upload_title_documents):
    in_review = paid_order()
    upload_title_documents(in_review)
    late = paid_order()
    Fulfillment.objects.filter(order=late).update(documents_due_at=late.paid_at - timedelta(days=1))
    Claim.objects.filter(pk=claim.pk).update(due_at=claim.opened_at - timedelta(minutes=1))
    page = console("support").get(reverse("admin:index")).content.decode()

    def count(key: str) -> str:
        marker = f'data-attention="{key}"'
        start = page.index(marker)
        return page[page.index("data-count>", start) + len("data-count>") :].split("<", 1)[0]

    assert count("title_documents") == "1"
    assert count("late_title_documents") == "1"
    assert count("claims") == "1"
    assert count("claims_overdue") == "1"
    assert "1 past the deadline" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "allowed"), [("support", True), ("admin", True), ("finance", False)])
def test_title_documents_are_approved_or_rejected_from_their_page(
    console, paid_order, upload_title_documents, role, allowed, settings
):
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 0
    order = paid_order()
    documents = upload_title_documents(order)
    client = console(role)
    page = client.get(reverse("admin:fulfillment_titledocument_change", args=[documents[0].pk]))
    assert page.status_code == 200
    assert ("Approve the title documents" in page.content.decode()) is allowed
    reject = client.post(
        reverse("admin:fulfillment_titledocument_reject", args=[documents[0].pk]),
        {"reason": "The signature is missing on the front.", "scope": "document"},
    )
    if not allowed:
        assert reject.status_code == 403
        assert Fulfillment.objects.get(order=order).title_status == TitleStatus.DOCUMENTS_REVIEW
        return
    assert reject.status_code == 302
    assert TitleDocument.objects.get(pk=documents[0].pk).status == TitleDocument.Status.REJECTED
    assert TitleDocument.objects.get(pk=documents[1].pk).status == TitleDocument.Status.UPLOADED
    assert Fulfillment.objects.get(order=order).title_status == TitleStatus.DOCUMENTS_REJECTED


@pytest.mark.django_db
def test_approving_from_the_document_page_files_the_transfer(console, paid_order, upload_title_documents, settings):
    settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS = 0
    order = paid_order()
    documents = upload_title_documents(order)
    response = console("support").post(reverse("admin:fulfillment_titledocument_approve", args=[documents[1].pk]))
    assert response.status_code == 302
    fulfillment = Fulfillment.objects.get(order=order)
    assert fulfillment.documents_approved_at is not None
    assert set(TitleDocument.objects.filter(fulfillment=fulfillment).values_list("status", flat=True)) == {"approved"}


@pytest.mark.django_db
def test_the_buyer_opens_a_claim_with_photos_from_the_order_page_form(client, paid_order, fake_authorize_net):
    order = deliver(paid_order())
    client.force_login(order.buyer)
    from fulfillment.tests.test_claims import photo

    response = client.post(
        reverse("fulfillment:claim-open", args=[order.pk]),
        {"category": "keys", "description": "Only one key arrived; the listing said two keys.", "photos": [photo()]},
    )
    assert response.status_code == 302
    created = Claim.objects.get(order=order)
    assert created.photos.count() == 1
    page = client.get(reverse("orders:detail", args=[order.pk])).content.decode()
    assert f'id="claim-{created.pk}"' in page
    photo_url = f"/orders/{order.pk}/claims/{created.pk}/photos/{created.photos.get().pk}/"
    assert client.get(photo_url).status_code == 200
    client.force_login(type(order.buyer).objects.create_user(email="stranger@example.test", password="x" * 12))
    assert client.get(photo_url).status_code == 404


@pytest.mark.django_db
def test_the_person_page_lists_their_claims_as_buyer_and_as_seller(console, claim):
    client = console("support")
    for person, side in ((claim.buyer_id, "as buyer"), (claim.seller_id, "as seller")):
        page = client.get(reverse("admin:console_person", args=[person])).content.decode()
        assert f"{claim}</a>" in page
        assert side in page


@pytest.mark.django_db
def test_a_return_shows_its_step_and_deadline_in_the_queue_and_staff_mark_it_returned(console, claim, staff_in):
    from fulfillment import services

    services.claim_decide(claim_id=claim.pk, actor=staff_in("finance"), outcome="full_refund_return",
                          reason="Hidden frame damage")  # fmt: skip
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNING
    auctions = console("auctions")
    assert auctions.post(reverse("admin:fulfillment_claim_returned", args=[claim.pk])).status_code == 403
    client = console("support")
    listing = client.get(reverse("admin:fulfillment_claim_changelist") + "?deadline=open").content.decode()
    assert f"Claim #{claim.pk}<" in listing
    assert "(buyer: return)" in listing  # who acts on the deadline shown
    page = client.get(page_of(claim)).content.decode()
    assert 'data-claim-return data-step="buyer"' in page
    assert "the buyer returns the vehicle by" in page
    assert "Mark the vehicle returned" in page
    assert "Record the decision" not in page  # decided already
    response = client.post(reverse("admin:fulfillment_claim_returned", args=[claim.pk]), {"note": "Back on the lot"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.return_step) == (ClaimStatus.DECIDED, "returned")
    entry = LogEntry.objects.get(additional_data__action="claim_mark_returned")
    assert entry.additional_data["reason"] == "Back on the lot"
    page = client.get(page_of(claim)).content.decode()
    assert 'data-step="returned"' in page
    assert "Mark the vehicle returned" not in page
