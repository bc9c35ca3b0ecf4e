"""The live monitor: live auctions at a glance, one auction's bid feed, and the staff actions on it."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from auctions import services as auction_services
from auctions.models import Auction, Bid
from backoffice import monitor as reads
from backoffice.views.common import console_context, require
from core.audit import staff_action
from core.errors import DomainError


class VoidForm(forms.Form):
    bid_id = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=500)


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


def monitor(request: HttpRequest) -> HttpResponse:
    require(request, "auctions.monitor_auction")
    rows = reads.live_rows()
    context = console_context(request, "Live monitor", rows=rows, rows_data=reads.rows_as_dicts(rows))
    return TemplateResponse(request, "admin/console/monitor.html", context)


def monitor_rows(request: HttpRequest) -> JsonResponse:
    require(request, "auctions.monitor_auction")
    return JsonResponse({"rows": reads.rows_as_dicts(reads.live_rows())})


def _auction(auction_id: int) -> Auction:
    auction = Auction.objects.select_related("vehicle", "seller", "leader").filter(pk=auction_id).first()
    if auction is None:
        raise Http404("No such auction.")
    return auction


def auction_feed(request: HttpRequest, auction_id: int) -> HttpResponse:
    require(request, "auctions.monitor_auction")
    auction = _auction(auction_id)
    context = console_context(
        request,
        f"Auction {auction.pk}: {auction.vehicle}",
        auction=auction,
        bids=reads.bid_feed(auction.pk),
        flags=reads.auction_flags(auction.pk),
        may_void=request.user.has_perm("auctions.void_bid") and auction.is_open,
        may_cancel=request.user.has_perm("auctions.cancel_auction") and auction.is_open,
        cancel_form=CancelForm(),
    )
    return TemplateResponse(request, "admin/console/auction.html", context)


def auction_bids(request: HttpRequest, auction_id: int) -> JsonResponse:
    require(request, "auctions.monitor_auction")
    after = request.GET.get("after", "0")
    auction = _auction(auction_id)
    return JsonResponse(
        {
            "bids": reads.bid_feed(auction.pk, after_seq=int(after) if after.isdigit() else 0),
            "status": auction.status,
            "price": f"{auction.display_price:.2f}" if auction.display_price is not None else None,
        }
    )


def _back(auction_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:console_auction", args=[auction_id]))


@require_POST
def bid_void(request: HttpRequest, auction_id: int) -> HttpResponse:
    require(request, "auctions.void_bid")
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to void the bid.")
        return _back(auction_id)
    bid_id, reason = form.cleaned_data["bid_id"], form.cleaned_data["reason"]
    if not Bid.objects.filter(pk=bid_id, auction_id=auction_id).exists():
        raise Http404("No such bid on this auction.")
    try:
        with staff_action(request, "bid_void", Bid, bid_id, fields=("voided_at", "void_reason"), reason=reason):
            auction_services.bid_void(bid_id=bid_id, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Bid voided; the price was recomputed and the bidder was told.")
    return _back(auction_id)


@require_POST
def auction_cancel(request: HttpRequest, auction_id: int) -> HttpResponse:
    require(request, "auctions.cancel_auction")
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason to cancel the auction: bidders will see it.")
        return _back(auction_id)
    reason = form.cleaned_data["reason"]
    try:
        with staff_action(
            request, "auction_cancel", Auction, auction_id, fields=("status", "cancel_reason"), reason=reason
        ):
            auction_services.auction_cancel(auction_id=auction_id, actor=request.user, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Auction cancelled; bidders were told.")
    return _back(auction_id)
