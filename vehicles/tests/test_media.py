"""Photos and documents: upload tickets, the local presigned-POST stand-in, server-side verification,
ordering, privacy; and the same flow against S3 (moto's server)."""

import io

import pytest
import requests
from django.test import Client
from PIL import Image

from tests.fixtures.vehicles import VehicleFactory
from vehicles import services
from vehicles.images import UploadRejected
from vehicles.models import Vehicle, VehicleDocument, VehiclePhoto

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def draft(seller_factory):
    return VehicleFactory(status=Vehicle.Status.DRAFT, seller=seller_factory())


def upload_locally(ticket, data: bytes, filename: str = "photo.jpg"):
    """What the browser does with a local ticket: POST the fields and the file to the stand-in endpoint."""
    client = Client()
    form = dict(ticket.fields)
    form["file"] = io.BytesIO(data)
    form["file"].name = filename
    return client.post(ticket.url, form)


def jpeg_ticket(vehicle, *, size: int, actor=None):
    """An upload ticket for a JPEG photo of `vehicle`, asked for by its seller unless `actor` is given."""
    return services.upload_prepare(
        actor=actor or vehicle.seller,
        vehicle_id=vehicle.pk,
        kind="photo",
        filename="car.jpg",
        content_type="image/jpeg",
        size=size,
    )


def add_photo(vehicle, data: bytes, *, actor=None):
    actor = actor or vehicle.seller
    ticket = jpeg_ticket(vehicle, size=len(data), actor=actor)
    assert upload_locally(ticket, data).status_code == 204
    return services.photo_attach(actor=actor, vehicle_id=vehicle.pk, upload_token=ticket.token)


def test_photo_upload_is_verified_resized_and_becomes_primary(draft, photo_bytes):
    photo = add_photo(draft, photo_bytes("front", size=(3000, 2000)))
    assert (photo.position, photo.width, photo.height) == (0, 2048, 1365)
    with photo.thumbnail.open("rb") as handle:
        assert Image.open(handle).size == (480, 360)
    draft.refresh_from_db()
    assert draft.cover_thumbnail == photo.thumbnail.name
    assert not list(draft.photos.filter(image__startswith="uploads/"))


def test_png_and_webp_are_accepted(draft, photo_bytes):
    add_photo(draft, photo_bytes("png", image_format="PNG"))
    add_photo(draft, photo_bytes("webp", image_format="WEBP"))
    assert draft.photos.count() == 2


def test_a_non_image_disguised_as_jpeg_is_rejected_and_removed(draft, settings, tmp_path):
    data = b"MZ this is an executable, not a photo" * 100
    ticket = jpeg_ticket(draft, size=len(data))
    assert upload_locally(ticket, data).status_code == 204
    with pytest.raises(UploadRejected, match="not a photo"):
        services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)
    assert not VehiclePhoto.objects.exists()
    assert not (tmp_path / "media" / ticket.key).exists()


def test_a_gif_is_rejected(draft):
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "red").save(buffer, "GIF")
    ticket = jpeg_ticket(draft, size=len(buffer.getvalue()))
    upload_locally(ticket, buffer.getvalue())
    with pytest.raises(UploadRejected, match="GIF"):
        services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)


def test_a_tiny_photo_is_rejected_for_its_dimensions(draft, photo_bytes):
    with pytest.raises(UploadRejected, match="at least 400×300"):
        add_photo(draft, photo_bytes("tiny", size=(200, 150)))


def test_an_unsupported_type_gets_no_ticket(draft):
    with pytest.raises(UploadRejected, match="not an accepted file type"):
        services.upload_prepare(
            actor=draft.seller, vehicle_id=draft.pk, kind="photo", filename="a.gif", content_type="image/gif", size=10
        )


def test_an_oversize_file_gets_no_ticket(draft, settings):
    with pytest.raises(UploadRejected, match="larger than"):
        jpeg_ticket(draft, size=settings.VEHICLE_PHOTO_MAX_BYTES + 1)


def test_the_local_endpoint_refuses_a_file_bigger_than_its_policy(draft, settings, photo_bytes):
    settings.VEHICLE_PHOTO_MAX_BYTES = 20_000
    data = photo_bytes("big", size=(1600, 1200))
    assert len(data) > 20_000
    ticket = jpeg_ticket(draft, size=10_000)
    assert upload_locally(ticket, data).status_code == 413
    with pytest.raises(UploadRejected, match="did not arrive"):
        services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)


def test_an_oversize_object_in_storage_is_rejected_at_verification(draft, settings, photo_bytes):
    data = photo_bytes("big", size=(1600, 1200))
    ticket = jpeg_ticket(draft, size=len(data))
    upload_locally(ticket, data)
    settings.VEHICLE_PHOTO_MAX_BYTES = len(data) - 1  # the limit shrank after the upload
    with pytest.raises(UploadRejected, match="larger than"):
        services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)


def test_the_local_endpoint_refuses_a_forged_policy(draft):
    ticket = jpeg_ticket(draft, size=100)
    ticket.fields["key"] = "vehicles/1/photos/evil.jpg"
    assert upload_locally(ticket, b"x" * 100).status_code == 403
    ticket.fields["policy"] = ticket.fields["policy"][:-2] + "xx"
    assert upload_locally(ticket, b"x" * 100).status_code == 403


def test_another_sellers_upload_token_is_refused(draft, seller_factory, photo_bytes):
    other = VehicleFactory(status=Vehicle.Status.DRAFT, seller=seller_factory())
    data = photo_bytes("mine")
    ticket = jpeg_ticket(draft, size=len(data))
    upload_locally(ticket, data)
    with pytest.raises(services.media.NotAllowed):
        services.photo_attach(actor=other.seller, vehicle_id=other.pk, upload_token=ticket.token)


def test_another_seller_cannot_get_an_upload_ticket(draft, seller_factory):
    with pytest.raises(services.media.NotAllowed):
        jpeg_ticket(draft, size=9, actor=seller_factory())


def test_reorder_moves_the_primary_photo(draft, photo_bytes):
    first, second, third = (add_photo(draft, photo_bytes(str(i))) for i in range(3))
    services.photos_reorder(actor=draft.seller, vehicle_id=draft.pk, photo_ids=[third.pk, first.pk, second.pk])
    assert list(draft.photos.values_list("pk", flat=True)) == [third.pk, first.pk, second.pk]
    draft.refresh_from_db()
    assert draft.cover_thumbnail == third.thumbnail.name


def test_reorder_must_list_every_photo_once(draft, photo_bytes):
    first, _second = add_photo(draft, photo_bytes("1")), add_photo(draft, photo_bytes("2"))
    with pytest.raises(services.media.DomainError, match="exactly once"):
        services.photos_reorder(actor=draft.seller, vehicle_id=draft.pk, photo_ids=[first.pk, first.pk])


def test_deleting_the_primary_photo_promotes_the_next(draft, photo_bytes, django_capture_on_commit_callbacks):
    first, second = add_photo(draft, photo_bytes("1")), add_photo(draft, photo_bytes("2"))
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(actor=draft.seller, vehicle_id=draft.pk, photo_id=first.pk)
    draft.refresh_from_db()
    second.refresh_from_db()
    assert second.position == 0
    assert draft.cover_thumbnail == second.thumbnail.name
    assert not first.image.storage.exists(first.image.name)


def add_document(vehicle, data: bytes, *, content_type="application/pdf", is_public=False):
    ticket = services.upload_prepare(
        actor=vehicle.seller, vehicle_id=vehicle.pk, kind="document", filename="title.pdf", content_type=content_type,
        size=len(data),
    )  # fmt: skip
    assert upload_locally(ticket, data, "title.pdf").status_code == 204
    return services.document_attach(
        actor=vehicle.seller, vehicle_id=vehicle.pk, upload_token=ticket.token, kind="title", is_public=is_public
    )


def test_documents_are_stored_outside_public_media(draft, tmp_path):
    document = add_document(draft, PDF)
    assert (tmp_path / "private" / document.storage_name).exists()
    assert not (tmp_path / "media" / document.storage_name).exists()


def test_a_document_whose_content_is_not_a_pdf_is_rejected(draft):
    with pytest.raises(UploadRejected, match="does not match"):
        add_document(draft, b"<html>not a pdf</html>")
    assert not VehicleDocument.objects.exists()


def test_private_document_is_served_to_seller_and_staff_only(draft, user, staff_user, client):
    document = add_document(draft, PDF)
    draft.status = Vehicle.Status.APPROVED
    draft.save()
    url = f"/vehicles/{draft.pk}/documents/{document.pk}/"
    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(user)
    assert client.get(url).status_code == 404
    client.force_login(staff_user)
    assert client.get(url).status_code == 200
    client.force_login(draft.seller)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"] == "private, no-store"


def test_document_access_checks_let_in_the_buyer(draft, user, client, settings):
    settings.VEHICLE_DOCUMENT_ACCESS_CHECKS = ["vehicles.tests.test_media.buyer_check"]
    document = add_document(draft, PDF)
    draft.status = Vehicle.Status.SOLD
    draft.save()
    client.force_login(user)
    BUYERS[draft.pk] = user.pk
    assert client.get(f"/vehicles/{draft.pk}/documents/{document.pk}/").status_code == 200


BUYERS: dict[int, int] = {}


def buyer_check(user, vehicle) -> bool:
    return BUYERS.get(vehicle.pk) == user.pk


def test_public_document_is_listed_for_visitors(draft, client):
    add_document(draft, PDF, is_public=True)
    add_document(draft, PDF)
    draft.status = Vehicle.Status.APPROVED
    draft.save()
    response = client.get(f"/api/vehicles/{draft.pk}")
    assert [d["is_public"] for d in response.json()["data"]["documents"]] == [True]


# --- S3 (moto) ---------------------------------------------------------------------------------------


def test_s3_presigned_post_upload_and_verification(s3_storage, draft, photo_bytes):
    data = photo_bytes("s3 photo")
    ticket = jpeg_ticket(draft, size=len(data))
    assert ticket.url.startswith(s3_storage.endpoint)
    assert {"key", "policy", "Content-Type"} <= set(ticket.fields)
    response = requests.post(ticket.url, data=ticket.fields, files={"file": ("s3.jpg", data, "image/jpeg")}, timeout=10)
    assert response.status_code in (200, 201, 204), response.text
    photo = services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)
    keys = {item["Key"] for item in s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket)["Contents"]}
    assert keys == {photo.image.name, photo.thumbnail.name}  # the raw upload is gone
    fetched = requests.get(photo.thumbnail.url, timeout=10)
    assert fetched.status_code == 200
    assert Image.open(io.BytesIO(fetched.content)).size == (480, 360)


def test_s3_upload_that_is_not_an_image_is_rejected_and_deleted(s3_storage, draft):
    data = b"not an image at all" * 50
    ticket = jpeg_ticket(draft, size=len(data))
    requests.post(ticket.url, data=ticket.fields, files={"file": ("x.jpg", data, "image/jpeg")}, timeout=10)
    with pytest.raises(UploadRejected):
        services.photo_attach(actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token)
    assert "Contents" not in s3_storage.client().list_objects_v2(Bucket=s3_storage.bucket)


def test_s3_private_document_is_served_by_a_short_signed_url(s3_storage, draft, client):
    ticket = services.upload_prepare(
        actor=draft.seller, vehicle_id=draft.pk, kind="document", filename="t.pdf", content_type="application/pdf",
        size=len(PDF),
    )  # fmt: skip
    assert ticket.key.startswith("private/")
    requests.post(ticket.url, data=ticket.fields, files={"file": ("t.pdf", PDF, "application/pdf")}, timeout=10)
    document = services.document_attach(
        actor=draft.seller, vehicle_id=draft.pk, upload_token=ticket.token, kind="title"
    )
    client.force_login(draft.seller)
    response = client.get(f"/vehicles/{draft.pk}/documents/{document.pk}/")
    assert response.status_code == 302
    assert "Signature" in response["Location"]
    assert requests.get(response["Location"], timeout=10).content == PDF
