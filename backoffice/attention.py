"""What needs staff attention now: the console home page's counts, each with a link to the filtered list.

Each item is read only when the viewer may see its model; counts use indexed filters (one COUNT each)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class Attention:
    key: str
    label: str
    count: int
    url: str
    who: str  # which role acts on it
    oldest: datetime | None = None
    note: str = ""
    deadline: datetime | None = None  # the earliest deadline among them (claims)


def _changelist(model: str, query: str = "") -> str:
    app_label, name = model.split(".")
    url = reverse(f"admin:{app_label}_{name.lower()}_changelist")
    return f"{url}?{query}" if query else url


def _may_view(user: Any, model: str) -> bool:
    app_label, name = model.split(".")
    return bool(
        user.has_perm(f"{app_label}.view_{name.lower()}") or user.has_perm(f"{app_label}.change_{name.lower()}")
    )


def seller_applications(user: Any, now: datetime) -> Attention | None:
    from accounts.models import SellerProfile

    pending = SellerProfile.objects.pending()
    oldest = pending.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    return Attention(
        "seller_applications", "Seller applications to review", pending.count(),
        _changelist("accounts.SellerProfile", "status__exact=pending"), "support", oldest,
    )  # fmt: skip


def listings_to_review(user: Any, now: datetime) -> Attention | None:
    from vehicles.models import Vehicle

    pending = Vehicle.objects.filter(status=Vehicle.Status.PENDING_REVIEW)
    oldest = pending.order_by("submitted_at").values_list("submitted_at", flat=True).first()
    return Attention(
        "listings", "Listings to review", pending.count(),
        _changelist("vehicles.Vehicle", "status__exact=pending_review"), "support", oldest,
    )  # fmt: skip


# A payment still "in flight" after this long got no answer (its process died mid-call): its outcome is unknown.
STUCK_PENDING = timedelta(minutes=2)


def payments_held(user: Any, now: datetime) -> Attention | None:
    """Charges, refunds and voids held for review or whose outcome is unknown (also pending past any request's
    time), which reconciliation settles."""
    from django.db.models import Q

    from orders.models import Payment

    rows = Payment.objects.filter(
        Q(status__in=[Payment.Status.HELD, Payment.Status.UNKNOWN])
        | Q(status=Payment.Status.PENDING, updated_at__lt=now - STUCK_PENDING)
    )
    oldest = rows.order_by("created_at").values_list("created_at", flat=True).first()
    return Attention(
        "payments_held", "Payments held for review or with an unknown outcome", rows.count(),
        _changelist("orders.Payment", "status__in=held,unknown,pending"), "finance", oldest,
    )  # fmt: skip


def claim_refunds_unknown(user: Any, now: datetime) -> Attention | None:
    """Claims decided with a refund the payment processor has not confirmed (past the minute a decision takes):
    reconciliation settles them; the claim page says what to do."""
    from fulfillment.models import Claim, ClaimStatus

    rows = Claim.objects.filter(status=ClaimStatus.SETTLING, settling_since__lt=now - timedelta(minutes=1))
    oldest = rows.order_by("settling_since").values_list("settling_since", flat=True).first()
    return Attention(
        "claim_refunds_unknown", "Claim refunds not confirmed (payment outcome unknown)", rows.count(),
        _changelist("fulfillment.Claim", "status__exact=settling"), "finance", oldest,
    )  # fmt: skip


def overdue_payments(user: Any, now: datetime) -> Attention | None:
    from orders.models import Order

    rows = Order.objects.overdue(now)
    oldest = rows.order_by("due_at").values_list("due_at", flat=True).first()
    return Attention(
        "overdue", "Overdue payments", rows.count(), _changelist("orders.Order", "overdue=yes"), "finance", oldest
    )


def cancellable_orders(user: Any, now: datetime) -> Attention | None:
    from orders.models import Order

    rows = Order.objects.awaiting_payment().filter(flagged_overdue_at__isnull=False)
    oldest = rows.order_by("due_at").values_list("due_at", flat=True).first()
    return Attention(
        "cancellable", "Unpaid past 5 business days (cancel, strike)", rows.count(),
        _changelist("orders.Order", "overdue=flagged"), "finance", oldest,
    )  # fmt: skip


FAILED_EMAIL_WINDOW = timedelta(days=7)


def failed_emails(user: Any, now: datetime) -> Attention | None:
    from notifications.models import EmailDelivery

    rows = EmailDelivery.objects.filter(status=EmailDelivery.Status.FAILED, updated_at__gte=now - FAILED_EMAIL_WINDOW)
    oldest = rows.order_by("updated_at").values_list("updated_at", flat=True).first()
    return Attention(
        "failed_emails", "Emails that failed (last 7 days)", rows.count(),
        _changelist("notifications.EmailDelivery", "status__exact=failed"), "support", oldest,
    )  # fmt: skip


def failed_webhooks(user: Any, now: datetime) -> Attention | None:
    from core.models import WebhookFailure

    rows = WebhookFailure.objects.filter(received_at__gte=now - FAILED_EMAIL_WINDOW)
    oldest = rows.order_by("received_at").values_list("received_at", flat=True).first()
    return Attention(
        "failed_webhooks", "Webhooks refused or failed (last 7 days)", rows.count(),
        _changelist("core.WebhookFailure"), "admin", oldest,
    )  # fmt: skip


def fraud_flags(user: Any, now: datetime) -> Attention | None:
    from backoffice.models import FraudFlag

    rows = FraudFlag.objects.open()
    oldest = rows.order_by("created_at").values_list("created_at", flat=True).first()
    return Attention(
        "fraud_flags", "Fraud flags to review", rows.count(),
        _changelist("backoffice.FraudFlag", "reviewed_at__isnull=True"), "auctions", oldest,
    )  # fmt: skip


def title_documents_to_review(user: Any, now: datetime) -> Attention | None:
    from fulfillment.models import Fulfillment, TitleStatus

    rows = Fulfillment.objects.filter(title_status=TitleStatus.DOCUMENTS_REVIEW, documents_approved_at__isnull=True)
    oldest = rows.order_by("updated_at").values_list("updated_at", flat=True).first()
    return Attention(
        "title_documents", "Title documents to review (orders)", rows.count(),
        _changelist("fulfillment.TitleDocument", "review=waiting"), "support", oldest,
    )  # fmt: skip


def late_title_documents(user: Any, now: datetime) -> Attention | None:
    from fulfillment.models import Fulfillment

    rows = Fulfillment.objects.open().awaiting_documents().filter(documents_due_at__lt=now)
    oldest = rows.order_by("documents_due_at").values_list("documents_due_at", flat=True).first()
    return Attention(
        "late_title_documents", "Title documents late from the seller", rows.count(),
        _changelist("fulfillment.Fulfillment", "documents=late"), "support", oldest,
    )  # fmt: skip


def claims_by_deadline(user: Any, now: datetime) -> Attention | None:
    from fulfillment.models import Claim

    rows = Claim.objects.open()
    late = rows.filter(due_at__lt=now).count()
    soon = rows.filter(due_at__gte=now, due_at__lt=now + timedelta(days=1)).count()
    first = rows.order_by("due_at").values_list("due_at", flat=True).first()
    return Attention(
        "claims", "Open claims, by deadline", rows.count(),
        _changelist("fulfillment.Claim", "deadline=open"), "support", None,
        note=f"{late} past the deadline, {soon} due within 24 hours", deadline=first,
    )  # fmt: skip


def claims_overdue(user: Any, now: datetime) -> Attention | None:
    from fulfillment.models import Claim

    rows = Claim.objects.open().filter(due_at__lt=now)
    oldest = rows.order_by("due_at").values_list("due_at", flat=True).first()
    return Attention(
        "claims_overdue", "Claims past their deadline", rows.count(),
        _changelist("fulfillment.Claim", "deadline=overdue"), "support", oldest,
    )  # fmt: skip


# (model it counts, the permission of the staff who act on it, reader): each member sees the work of their
# role.
ITEMS: list[tuple[str, str, Callable[[Any, datetime], Attention | None]]] = [
    ("accounts.SellerProfile", "accounts.review_sellerprofile", seller_applications),
    ("vehicles.Vehicle", "vehicles.review_vehicle", listings_to_review),
    ("orders.Payment", "orders.refund_order", payments_held),
    ("orders.Order", "orders.cancel_order", overdue_payments),
    ("orders.Order", "orders.cancel_order", cancellable_orders),
    ("notifications.EmailDelivery", "notifications.view_emaildelivery", failed_emails),
    ("core.WebhookFailure", "core.view_webhookfailure", failed_webhooks),
    ("backoffice.FraudFlag", "backoffice.view_fraudflag", fraud_flags),
    ("fulfillment.TitleDocument", "fulfillment.review_titledocument", title_documents_to_review),
    ("fulfillment.Fulfillment", "fulfillment.view_fulfillment", late_title_documents),
    ("fulfillment.Claim", "fulfillment.view_claim", claims_overdue),
    ("fulfillment.Claim", "fulfillment.view_claim", claims_by_deadline),
    ("fulfillment.Claim", "orders.refund_order", claim_refunds_unknown),
]


def attention_items(user: Any, now: datetime | None = None) -> list[Attention]:
    now = now or timezone.now()
    items = []
    for model, permission, read in ITEMS:
        app_label, name = model.split(".")
        try:
            apps.get_model(app_label, name)
        except LookupError:
            continue
        if not user.has_perm(permission):
            continue
        item = read(user, now)
        if item is not None:
            items.append(item)
    return items
