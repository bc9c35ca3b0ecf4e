"""The claims API for the buyer and the seller: upload tickets, opening with photo tokens, answering, messages,
reading; errors in the one shape with the right 4xx."""

from decimal import Decimal

import pytest

from fulfillment.models import Claim, ClaimStatus
from fulfillment.tests.test_claims import PNG, deliver


def upload(api_client, order, user, settings, client) -> str:
    """A photo through the ticket path: ticket, the local stand-in for the bucket, the token back."""
    api_client.force_authenticate(user)
    ticket = api_client.post(
        f"/api/orders/{order.pk}/claims/uploads",
        {"filename": "dent.png", "content_type": "image/png", "size": len(PNG)},
        format="json",
    )
    assert ticket.status_code == 201, ticket.json()
    data = ticket.json()["data"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(user)
    stored = client.post(data["url"], {**data["fields"], "file": SimpleUploadedFile("dent.png", PNG, "image/png")})
    assert stored.status_code in (200, 201, 204), stored.content
    return data["token"]


@pytest.mark.django_db
def test_buyer_opens_seller_answers_and_both_read_the_claim(api_client, client, paid_order, settings):
    order = deliver(paid_order(price=Decimal("8000.00")))
    token = upload(api_client, order, order.buyer, settings, client)
    api_client.force_authenticate(order.buyer)
    opened = api_client.post(
        f"/api/orders/{order.pk}/claims",
        {"category": "damage", "description": "Hail damage on the roof, not in the report.", "photo_tokens": [token]},
        format="json",
    )
    assert opened.status_code == 201, opened.json()
    body = opened.json()["data"]
    assert body["status"] == "awaiting_seller"
    assert body["events"][0]["photos"][0]["url"].startswith(f"/orders/{order.pk}/claims/")
    again = api_client.post(
        f"/api/orders/{order.pk}/claims",
        {"category": "keys", "description": "Also only one key came with it.", "photo_tokens": [token]},
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["code"] == "claim_open"

    api_client.force_authenticate(order.seller)
    answer = api_client.post(f"/api/claims/{body['id']}/answer", {"message": "It was parked outside."}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["data"]["status"] == ClaimStatus.IN_REVIEW
    listed = api_client.get(f"/api/orders/{order.pk}/claims")
    assert [c["id"] for c in listed.json()["data"]] == [body["id"]]

    api_client.force_authenticate(order.buyer)
    message = api_client.post(f"/api/claims/{body['id']}/messages", {"message": "It was not."}, format="json")
    assert message.status_code == 201
    assert [e["kind"] for e in message.json()["data"]["events"]] == ["opened", "seller_answered", "message"]


@pytest.mark.django_db
def test_claim_api_errors_are_the_one_shape(api_client, paid_order, user_factory):
    order = paid_order()
    api_client.force_authenticate(order.buyer)
    early = api_client.post(
        f"/api/orders/{order.pk}/claims",
        {"category": "damage", "description": "Before delivery this is refused.", "photo_tokens": ["x"]},
        format="json",
    )
    assert early.status_code in (400, 409)
    assert set(early.json()) == {"error", "code", "details"}
    bad = api_client.post(f"/api/orders/{order.pk}/claims", {"category": "nope", "description": "x"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["details"]) >= {"category", "description"}
    stranger = user_factory()
    api_client.force_authenticate(stranger)
    assert api_client.get(f"/api/orders/{order.pk}/claims").status_code == 404
    assert api_client.get("/api/claims/999999").status_code == 404
    assert not Claim.objects.exists()
