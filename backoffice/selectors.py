"""Reads of the staff console that span apps: everything about one person."""

from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.db.models import Q

from accounts.models import AccountEvent, CardOnFile, IdentityVerification, SellerProfile, Strike, User
from auctions.models import Bid
from backoffice.models import DeviceSighting, FraudFlag, StaffNote
from fulfillment.models import Claim
from orders.models import Order

LIST_LIMIT = 50


@dataclass
class PersonOverview:
    person: User
    email_verified: bool
    identity: IdentityVerification | None
    card: CardOnFile | None
    seller_application: SellerProfile | None
    strikes: list[Strike]
    bids: list[Bid]
    bid_count: int
    purchases: list[Order]
    sales: list[Order]
    flags: list[FraudFlag]
    devices: list[DeviceSighting]
    notes: list[StaffNote]
    events: list[AccountEvent]
    offers: list[Any] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)


def _optional(app_label: str, model: str) -> Any:
    try:
        return apps.get_model(app_label, model)
    except LookupError:
        return None


def person_overview(user_id: int) -> PersonOverview | None:
    person = User.objects.filter(pk=user_id).first()
    if person is None:
        return None
    bids = Bid.objects.filter(bidder=person).select_related("auction__vehicle").order_by("-placed_at")
    offers: list[Any] = []
    offer_model = _optional("offers", "OfferThread")  # the offers app's negotiations, when it is installed
    if offer_model is not None:
        offers = list(offer_model.objects.filter(Q(buyer=person) | Q(seller=person)).order_by("-pk")[:LIST_LIMIT])
    return PersonOverview(
        person=person,
        email_verified=EmailAddress.objects.filter(user=person, verified=True).exists(),
        identity=IdentityVerification.objects.filter(user=person).first(),
        card=CardOnFile.objects.filter(user=person).first(),
        seller_application=SellerProfile.objects.filter(user=person).first(),
        strikes=list(Strike.objects.filter(user=person).select_related("actor")),
        bids=list(bids[:LIST_LIMIT]),
        bid_count=bids.count(),
        purchases=list(Order.objects.filter(buyer=person).select_related("vehicle").order_by("-sold_at")[:LIST_LIMIT]),
        sales=list(Order.objects.filter(seller=person).select_related("vehicle").order_by("-sold_at")[:LIST_LIMIT]),
        flags=list(FraudFlag.objects.about(person.pk).select_related("bidder", "seller", "auction")[:LIST_LIMIT]),
        devices=list(DeviceSighting.objects.filter(user=person)[:LIST_LIMIT]),
        notes=list(StaffNote.objects.filter(user=person).select_related("author")),
        events=list(AccountEvent.objects.filter(user=person).select_related("actor").order_by("-created_at")[:100]),
        offers=offers,
        claims=list(
            Claim.objects.filter(Q(buyer=person) | Q(seller=person))
            .select_related("order")
            .order_by("-pk")[:LIST_LIMIT]
        ),
    )


def people_matching(query: str, limit: int = 50) -> list[User]:
    query = query.strip()
    if not query:
        return list(User.objects.order_by("-date_joined")[:limit])
    filters = Q(email__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
    if query.isdigit():
        filters |= Q(pk=int(query))
    return list(User.objects.filter(filters).order_by("email")[:limit])
