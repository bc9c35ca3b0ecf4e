"""The title track: documents from the seller (verified, private), staff review, filing with the title service
(the real client against the fake over HTTP), its reports by signed webhook and by polling."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed, NotFound
from fulfillment import services
from fulfillment.models import FulfillmentEvent, TitleDocument, TitleStatus
from fulfillment.services.title import required_kinds
from notifications.models import Notification
from tests.fakes import title_vendor as fake
from tests.fixtures.fulfillment import PDF, fulfillment_of, pdf_upload
from vehicles.images import UploadRejected

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def title_events(order):
    return list(
        FulfillmentEvent.objects.filter(fulfillment__order=order, track="title")
        .exclude(to_status="")
        .values_list("to_status", flat=True)
    )


def test_a_dealer_sends_four_documents_and_the_complete_set_goes_to_review(paid_order, staff_user, committed):
    order = paid_order()
    assert required_kinds(order) == ["title_front", "title_back", "odometer", "reassignment"]
    for kind in required_kinds(order)[:-1]:
        services.title_document_upload(actor=order.seller, order_id=order.pk, kind=kind, upload=pdf_upload())
        assert fulfillment_of(order).title_status == TitleStatus.AWAITING_DOCUMENTS
    with committed():
        services.title_document_upload(
            actor=order.seller, order_id=order.pk, kind="reassignment", upload=pdf_upload("r.png", PNG, "image/png")
        )
    assert fulfillment_of(order).title_status == TitleStatus.DOCUMENTS_REVIEW
    assert Notification.objects.filter(
        user=staff_user, kind="staff_alert", title__contains="Title documents to review"
    ).exists()


def test_a_private_seller_needs_no_reassignment(paid_order):
    assert "reassignment" not in required_kinds(paid_order(seller_dealer=False))


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("title.pdf", b"MZ\x90\x00 an executable", "application/pdf"),  # not a PDF inside
        ("title.gif", b"GIF89a....", "image/gif"),  # not an accepted type
        ("title.pdf", b"", "application/pdf"),  # empty
        ("title.html", b"<html><script>", "text/html"),
    ],
)
def test_documents_that_are_not_pdfs_or_images_are_refused_and_nothing_is_kept(paid_order, name, data, content_type):
    order = paid_order()
    with pytest.raises(UploadRejected):
        services.title_document_upload(
            actor=order.seller, order_id=order.pk, kind="title_front", upload=pdf_upload(name, data, content_type)
        )
    assert not TitleDocument.objects.filter(fulfillment__order=order).exists()
    assert fulfillment_of(order).title_status == TitleStatus.AWAITING_DOCUMENTS


def test_only_the_seller_or_staff_upload_and_strangers_learn_nothing(paid_order, user_factory):
    order = paid_order()
    with pytest.raises(NotAllowed):
        services.title_document_upload(actor=order.buyer, order_id=order.pk, kind="title_front", upload=pdf_upload())
    with pytest.raises(NotFound):
        services.title_document_upload(actor=user_factory(), order_id=order.pk, kind="title_front", upload=pdf_upload())


def test_title_documents_are_private_to_the_buyer_the_seller_and_staff(
    paid_order, client, user_factory, staff_user, upload_title_documents
):
    order = paid_order()
    document = upload_title_documents(order)[0]
    url = f"/orders/{order.pk}/title-documents/{document.pk}/"
    for person in (order.seller, order.buyer, staff_user):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Cache-Control"] == "private, no-store"
    client.force_login(user_factory())
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_presigned_upload_ticket_then_attach_uses_the_vehicle_document_storage(paid_order, api_client):
    order = paid_order()
    api_client.force_authenticate(order.seller)
    ticket = api_client.post(
        f"/api/orders/{order.pk}/title-documents/uploads",
        {"kind": "title_front", "filename": "front.pdf", "content_type": "application/pdf", "size": len(PDF)},
        format="json",
    )
    assert ticket.status_code == 201, ticket.json()
    data = ticket.json()["data"]
    from django.test import Client

    browser = Client()  # the local stand-in for the bucket takes the same form fields as S3
    assert browser.post(data["url"], {**data["fields"], "file": pdf_upload("front.pdf")}).status_code == 204
    attached = api_client.post(
        f"/api/orders/{order.pk}/title-documents", {"upload_token": data["token"], "kind": "title_front"}, format="json"
    )
    assert attached.status_code == 201, attached.json()
    assert attached.json()["data"]["kind"] == "title_front"
    # a ticket for another document kind than the one uploaded is still this seller's: the token is bound to the
    # upload kind, the vehicle and the user
    api_client.force_authenticate(order.buyer)
    refused = api_client.post(
        f"/api/orders/{order.pk}/title-documents", {"upload_token": data["token"], "kind": "title_back"}, format="json"
    )
    assert refused.status_code == 403


def test_a_ticket_for_a_file_that_is_not_a_pdf_or_image_is_refused_up_front(paid_order, api_client):
    order = paid_order()
    api_client.force_authenticate(order.seller)
    response = api_client.post(
        f"/api/orders/{order.pk}/title-documents/uploads",
        {"kind": "title_front", "filename": "x.exe", "content_type": "application/x-msdownload", "size": 10},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["details"]["content_type"]


def test_staff_reject_with_a_reason_the_seller_sees_and_new_uploads_go_back_to_review(
    paid_order, staff_user, upload_title_documents, committed
):
    order = paid_order()
    upload_title_documents(order)
    with pytest.raises(DomainError):
        services.title_documents_reject(order_id=order.pk, actor=staff_user, reason="  ")
    with committed():
        services.title_documents_reject(order_id=order.pk, actor=staff_user, reason="The back is not signed.")
    fulfillment = fulfillment_of(order)
    assert fulfillment.title_status == TitleStatus.DOCUMENTS_REJECTED
    assert Notification.objects.filter(
        user=order.seller, kind="title_documents_rejected", body__contains="The back is not signed."
    ).exists()
    services.title_document_upload(actor=order.seller, order_id=order.pk, kind="title_back", upload=pdf_upload())
    assert fulfillment_of(order).title_status == TitleStatus.DOCUMENTS_REJECTED  # the other rejected ones remain
    upload_title_documents(order)
    assert fulfillment_of(order).title_status == TitleStatus.DOCUMENTS_REVIEW
    assert (
        TitleDocument.objects.filter(fulfillment__order=order, status="replaced").count() == 5
    )  # 4 + title_back twice


def test_approval_files_the_transfer_with_an_idempotency_key_and_reports_move_it_forward(
    paid_order, staff_user, upload_title_documents, fake_title_service
):
    order = paid_order()
    upload_title_documents(order)
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    fulfillment = fulfillment_of(order)
    assert fulfillment.title_status == TitleStatus.FILED
    transfer_id = fulfillment.title_transfer_id
    body = fake_title_service.bodies[0]
    assert body["external_id"] == order.number
    assert body["vin"] == order.vehicle.vin
    assert body["seller"]["dealer_license"] == "D-12345"
    fake_title_service.advance(transfer_id, "accepted")
    assert services.titles_poll() == 0  # accepted is still "filed" on our side
    fake_title_service.advance(transfer_id, "title_issued", title_number="MN123456789")
    assert services.titles_poll() == 1
    fulfillment.refresh_from_db()
    assert fulfillment.title_status == TitleStatus.TITLE_ISSUED
    assert fulfillment.title_number == "MN123456789"
    services.title_mark_delivered(order_id=order.pk, actor=order.buyer)
    assert fulfillment_of(order).title_status == TitleStatus.DELIVERED_TO_BUYER
    assert title_events(order) == [
        "awaiting_documents",
        "documents_review",
        "filed",
        "title_issued",
        "delivered_to_buyer",
    ]


def test_filing_retries_with_the_same_idempotency_key_after_an_outage_and_makes_one_transfer(
    paid_order, staff_user, upload_title_documents, fake_title_service
):
    order = paid_order()
    upload_title_documents(order)
    fake_title_service.fail_status = 503
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    fulfillment = fulfillment_of(order)
    assert fulfillment.title_status == TitleStatus.DOCUMENTS_REVIEW
    assert fulfillment.title_filing_error
    fake_title_service.fail_status = None
    assert services.titles_file_approved() == 1
    assert services.titles_file_approved() == 0
    assert len(fake_title_service.transfers) == 1
    assert fulfillment_of(order).title_status == TitleStatus.FILED


def test_a_refused_filing_goes_to_staff_who_file_again(
    paid_order, staff_user, upload_title_documents, fake_title_service
):
    order = paid_order()
    upload_title_documents(order)
    fake_title_service.reject_next = "Dealer licence not on file"
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    fulfillment = fulfillment_of(order)
    assert fulfillment.title_status == TitleStatus.FILING_REJECTED
    assert "Dealer licence not on file" in fulfillment.title_rejection_reason
    services.title_refile(order_id=order.pk, actor=staff_user)
    assert fulfillment_of(order).title_status == TitleStatus.FILED
    assert fulfillment_of(order).title_filing_attempt == 2


def filed(paid_order, staff_user, upload_title_documents):
    order = paid_order()
    upload_title_documents(order)
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    return order, fulfillment_of(order).title_transfer_id


@pytest.mark.parametrize("webhook_first", [True, False])
def test_webhook_and_poll_reporting_the_same_change_in_either_order_apply_it_once(
    paid_order, staff_user, upload_title_documents, fake_title_service, api_client, webhook_first, committed
):
    with committed():
        order, transfer_id = filed(paid_order, staff_user, upload_title_documents)
    transfer = fake_title_service.advance(transfer_id, "title_issued", title_number="MN555")
    body, signature = fake.webhook(transfer)

    def deliver():
        return api_client.post(
            "/api/webhooks/title", data=body, content_type="application/json", HTTP_X_DLR_SIGNATURE=signature
        )

    with committed():
        if webhook_first:
            assert deliver().json()["message"] == "moved to title_issued"
            assert services.titles_poll() == 0
        else:
            assert services.titles_poll() == 1
            assert deliver().json()["message"] == "ignored: not newer"
        assert deliver().json()["message"] == "Already processed."
    assert title_events(order).count("title_issued") == 1
    assert Notification.objects.filter(user=order.buyer, kind="title_status").count() == 2  # filed, issued


def test_an_older_status_arriving_late_never_moves_the_title_backwards(
    paid_order, staff_user, upload_title_documents, fake_title_service, api_client
):
    order, transfer_id = filed(paid_order, staff_user, upload_title_documents)
    issued = fake_title_service.advance(transfer_id, "title_issued", title_number="MN777")
    late = {**issued, "status": "accepted", "title_number": ""}
    for transfer in (issued, late):
        body, signature = fake.webhook(transfer)
        api_client.post(
            "/api/webhooks/title", data=body, content_type="application/json", HTTP_X_DLR_SIGNATURE=signature
        )
    fulfillment = fulfillment_of(order)
    assert fulfillment.title_status == TitleStatus.TITLE_ISSUED
    assert fulfillment.title_transfer_status == "title_issued"
    assert fulfillment.title_number == "MN777"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("", 401),
        ("t=1700000000,v1=deadbeef", 401),
        ("garbage", 401),
    ],
)
def test_title_webhooks_with_bad_or_missing_signatures_are_refused_and_change_nothing(
    paid_order, staff_user, upload_title_documents, fake_title_service, api_client, header, status
):
    order, transfer_id = filed(paid_order, staff_user, upload_title_documents)
    body, _ = fake.webhook(fake_title_service.advance(transfer_id, "title_issued", title_number="MN1"))
    response = api_client.post(
        "/api/webhooks/title", data=body, content_type="application/json", HTTP_X_DLR_SIGNATURE=header
    )
    assert response.status_code == status
    assert response.json()["error"]
    assert fulfillment_of(order).title_status == TitleStatus.FILED


def test_title_webhooks_signed_with_another_secret_or_too_long_ago_are_refused(
    paid_order, staff_user, upload_title_documents, fake_title_service, api_client
):
    order, transfer_id = filed(paid_order, staff_user, upload_title_documents)
    transfer = fake_title_service.advance(transfer_id, "title_issued", title_number="MN1")
    body, forged = fake.webhook(transfer, secret="not-the-secret")
    assert (
        api_client.post(
            "/api/webhooks/title", data=body, content_type="application/json", HTTP_X_DLR_SIGNATURE=forged
        ).status_code
        == 401
    )
    stale_at = int((timezone.now() - timedelta(hours=1)).timestamp())
    body, stale = fake.webhook(transfer, timestamp=stale_at)
    response = api_client.post(
        "/api/webhooks/title", data=body, content_type="application/json", HTTP_X_DLR_SIGNATURE=stale
    )
    assert response.status_code == 400
    assert fulfillment_of(order).title_status == TitleStatus.FILED


def test_reminders_at_business_days_one_and_two_then_lateness_once(paid_order, frozen_now, staff_user, committed):
    order = paid_order()
    fulfillment = fulfillment_of(order)
    paid = order.paid_at

    with committed():
        _sweep_days(frozen_now, paid, fulfillment)
    assert Notification.objects.filter(user=order.seller, kind="title_documents_reminder").count() == 2
    assert Notification.objects.filter(user=order.seller, kind="title_documents_late").count() == 1
    assert Notification.objects.filter(user=staff_user, title__contains="Title documents late").count() == 1


def _sweep_days(frozen_now, paid, fulfillment):
    from fulfillment.rules import document_reminder_at

    frozen_now(document_reminder_at(paid, 1) + timedelta(minutes=1))
    assert services.title_documents_sweep() == 1
    assert services.title_documents_sweep() == 0
    frozen_now(document_reminder_at(paid, 2) + timedelta(minutes=1))
    assert services.title_documents_sweep() == 1
    frozen_now(fulfillment.documents_due_at + timedelta(minutes=1))
    assert services.title_documents_sweep() == 1
    assert services.title_documents_sweep() == 0


def test_approving_twice_is_refused(paid_order, staff_user, upload_title_documents, fake_title_service):
    order = paid_order()
    upload_title_documents(order)
    services.title_documents_approve(order_id=order.pk, actor=staff_user)
    with pytest.raises(Conflict):
        services.title_documents_approve(order_id=order.pk, actor=staff_user)
    assert len(fake_title_service.transfers) == 1
