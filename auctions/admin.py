"""The staff console for auctions: every action goes through a service."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.utils import timezone

from auctions import services
from auctions.models import Auction, AuctionComment, AuctionEvent, AuctionRules, Bid, IncrementTier
from auctions.services.increments import CACHE_SECONDS, increment_table_clear_cache
from auctions.services.lifecycle import validate_terms
from core.admin import HistoryTabularInline, LogAdmin, StrictNumbersAdminMixin
from core.amount_fields import strict_formfield
from core.audit import staff_action
from core.errors import DomainError


class ReasonActionForm(ActionForm):
    reason = forms.CharField(required=False, label="Reason", widget=forms.TextInput(attrs={"size": 40}))


class BidInline(HistoryTabularInline):
    model = Bid
    fields = (
        "seq",
        "bidder",
        "bidder_number",
        "max_amount",
        "resulting_price",
        "placed_at",
        "voided_at",
        "void_reason",
    )
    readonly_fields = fields
    raw_id_fields = ("bidder",)
    ordering = ("-seq",)
    show_change_link = True


TERMS_FIELDS = (
    "starting_price",
    "reserve_price",
    "buy_now_price",
    "starts_at",
    "ends_at",
    "soft_close_window_seconds",
    "soft_close_extension_seconds",
)


class AuctionTermsForm(forms.ModelForm):
    """The terms staff may set: checked by the services' own rules here (field errors), then written by
    `auction_schedule` / `auction_update` (lock, event, broadcast), never by the form itself."""

    class Meta:
        model = Auction
        fields = ("vehicle", *TERMS_FIELDS)
        formfield_callback = strict_formfield

    @property
    def sets_terms(self) -> bool:
        """False on a running auction's page with bids, where every field is read-only."""
        return set(TERMS_FIELDS) <= set(self.fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or not self.sets_terms:
            return data
        try:
            validate_terms(terms_from(data), now=timezone.now())
        except DomainError as exc:
            for field, problems in (exc.details or {"__all__": [exc.message]}).items():
                self.add_error(field if field in self.fields else None, problems)
        return data


class _Refused(Exception):
    """The service refused what the form allowed (a bid arrived meanwhile, say): nothing was written."""


def terms_from(data: dict[str, Any]) -> services.AuctionTermsInput:
    values: dict[str, Any] = {name: data.get(name) for name in TERMS_FIELDS}
    return services.AuctionTermsInput(**values)


@admin.register(Auction)
class AuctionAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    """State (status, prices reached, leader, times of a running auction) changes only through services: the
    form sets the terms of a new auction or of one without bids (the same rules as the seller's); cancelling
    and closing are actions."""

    form = AuctionTermsForm
    list_display = ("id", "vehicle", "status", "outcome", "display_price", "bid_count", "ends_at", "extended_count")
    list_filter = ("status", "outcome", "seller_decision", "reserve_met")
    search_fields = ("=id", "vehicle__vin", "vehicle__make", "vehicle__model", "seller__email")
    list_select_related = ("vehicle", "seller")
    raw_id_fields = ("vehicle", "seller", "created_by", "leader", "winner")
    date_hierarchy = "ends_at"
    inlines = [BidInline]
    action_form = ReasonActionForm
    actions = ["cancel_auctions", "close_if_due"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return ["vehicle", *TERMS_FIELDS]
        return [f.name for f in Auction._meta.fields if f.editable and f.name != "id"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        if obj is None:
            return []
        return [name for name in self.get_fields(request, obj) if not (obj.terms_editable and name in TERMS_FIELDS)]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        return [BidInline] if obj is not None else []

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        """Without the admin's surrounding transaction: the services own theirs (durable), and the form writes
        nothing itself. A refusal from the service is shown on the same page; nothing is saved or logged."""
        try:
            return self._changeform_view(request, object_id, form_url, extra_context)  # type: ignore[attr-defined]
        except _Refused as refused:
            self.message_user(request, f"Not saved: {refused}", messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: Auction, form: Any, change: bool) -> None:
        if not form.sets_terms:
            return
        terms = terms_from(form.cleaned_data)
        try:
            if change:
                saved = services.auction_update(auction_id=obj.pk, actor=request.user, terms=terms)
            else:
                saved = services.auction_schedule(vehicle_id=obj.vehicle_id, actor=request.user, terms=terms)
        except DomainError as exc:
            raise _Refused(exc.message) from exc
        obj.__dict__.update(saved.__dict__)  # the service's row (id, status, times) for the admin's redirect

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("auctions.cancel_auction"))

    @admin.action(description="Cancel selected auctions (reason required once bids exist)", permissions=["cancel"])
    def cancel_auctions(self, request: HttpRequest, queryset: QuerySet[Auction]) -> None:
        reason = request.POST.get("reason", "")
        for auction in queryset:
            try:
                with staff_action(
                    request, "auction_cancel", Auction, auction.pk, fields=("status", "cancel_reason"), reason=reason
                ):
                    services.auction_cancel(auction_id=auction.pk, actor=request.user, reason=reason)
            except DomainError as exc:
                self.message_user(request, f"Auction {auction.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Auction {auction.pk} cancelled.")

    @admin.action(description="Close selected auctions if their end has passed")
    def close_if_due(self, request: HttpRequest, queryset: QuerySet[Auction]) -> None:
        closed = sum(1 for auction in queryset if services.auction_close(auction_id=auction.pk))
        self.message_user(request, f"{closed} auction(s) closed.")


@admin.register(Bid)
class BidAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    list_display = ("id", "auction", "seq", "bidder", "max_amount", "resulting_price", "placed_at", "voided_at")
    list_filter = ("voided_at",)
    search_fields = ("=auction__id", "bidder__email", "ip_address")
    list_select_related = ("auction", "bidder")
    raw_id_fields = ("auction", "bidder", "voided_by")
    action_form = ReasonActionForm
    actions = ["void_bids"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Bid._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_void_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("auctions.void_bid"))

    @admin.action(description="Void selected bids (enter a reason) and recompute the auctions", permissions=["void"])
    def void_bids(self, request: HttpRequest, queryset: QuerySet[Bid]) -> None:
        reason = request.POST.get("reason", "")
        for bid in queryset.order_by("-seq"):
            try:
                with staff_action(request, "bid_void", Bid, bid.pk, fields=("voided_at", "void_reason"), reason=reason):
                    services.bid_void(bid_id=bid.pk, actor=request.user, reason=reason)
            except DomainError as exc:
                self.message_user(request, f"Bid {bid.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Bid {bid.pk} voided.")


@admin.register(IncrementTier)
class IncrementTierAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    list_display = ("from_price", "increment")
    list_editable = ("increment",)

    def save_model(self, request: HttpRequest, obj: IncrementTier, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        increment_table_clear_cache()
        self.message_user(request, f"Every server bids with the new table within {CACHE_SECONDS:.0f} seconds.")

    def delete_model(self, request: HttpRequest, obj: IncrementTier) -> None:
        super().delete_model(request, obj)
        increment_table_clear_cache()


@admin.register(AuctionRules)
class AuctionRulesAdmin(admin.ModelAdmin):
    """The one row of marketplace auction rules (the migration creates it): edit, never add a second or delete."""

    list_display = ("__str__", "min_duration_minutes", "updated_at")
    list_editable = ("min_duration_minutes",)
    list_display_links = ("__str__",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not AuctionRules.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuctionEvent)
class AuctionEventAdmin(LogAdmin):
    list_display = ("created_at", "auction", "kind", "from_status", "to_status", "actor", "seq")
    list_filter = ("kind",)
    search_fields = ("=auction__id",)
    list_select_related = ("auction", "actor")
    raw_id_fields = ("auction", "actor")


@admin.register(AuctionComment)
class AuctionCommentAdmin(admin.ModelAdmin):
    list_display = ("created_at", "auction", "author", "is_seller", "hidden_at", "body")
    list_filter = ("is_seller", "hidden_at")
    search_fields = ("body", "author__email", "=auction__id")
    list_select_related = ("auction", "author")
    raw_id_fields = ("auction", "author", "parent", "hidden_by")
    action_form = ReasonActionForm
    actions = ["hide_comments"]

    @admin.action(description="Hide selected comments")
    def hide_comments(self, request: HttpRequest, queryset: QuerySet[AuctionComment]) -> None:
        for comment in queryset:
            services.comment_hide(comment_id=comment.pk, actor=request.user, reason=request.POST.get("reason", ""))
        self.message_user(request, f"{queryset.count()} comment(s) hidden.")
