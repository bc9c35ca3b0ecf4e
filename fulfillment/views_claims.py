"""The order page's claim forms (the buyer opens a claim, the seller answers, either writes a message; each
posts with its photos, calls one service and redirects back: POST-redirect-GET) and the claim photos, served
to the order's buyer, its seller and staff only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from core.errors import DomainError, NotFound
from fulfillment import selectors, services
from fulfillment.forms import ClaimMessageForm, ClaimOpenForm
from fulfillment.models_claims import Claim
from vehicles.storage import document_storage


def _back(order_id: int, anchor: str = "claims") -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('orders:detail', args=[order_id])}#{anchor}")


def _form_errors(form: ClaimOpenForm | ClaimMessageForm) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _claim_on(order_id: int, claim_id: int) -> None:
    if not Claim.objects.filter(pk=claim_id, order_id=order_id).exists():
        raise Http404("Claim not found.")


@login_required
@require_POST
def claim_open(request: HttpRequest, order_id: int) -> HttpResponse:
    form = ClaimOpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"The claim was not opened. {_form_errors(form)}")
        return _back(order_id)
    try:
        claim = services.claim_open(
            actor=request.user,
            order_id=order_id,
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
            uploads=request.FILES.getlist("photos"),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, f"The claim was not opened. {exc.message}")
        return _back(order_id)
    messages.success(request, f"Claim {claim.number} opened. The seller has 2 business days to answer.")
    return _back(order_id, f"claim-{claim.pk}")


@login_required
@require_POST
def claim_answer(request: HttpRequest, order_id: int, claim_id: int) -> HttpResponse:
    return _post_message(request, order_id, claim_id, answer=True)


@login_required
@require_POST
def claim_message(request: HttpRequest, order_id: int, claim_id: int) -> HttpResponse:
    return _post_message(request, order_id, claim_id, answer=False)


def _post_message(request: HttpRequest, order_id: int, claim_id: int, *, answer: bool) -> HttpResponse:
    _claim_on(order_id, claim_id)
    form = ClaimMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was sent. {_form_errors(form)}")
        return _back(order_id, f"claim-{claim_id}")
    service = services.claim_answer if answer else services.claim_message
    try:
        service(
            actor=request.user, claim_id=claim_id, message=form.cleaned_data["message"],
            uploads=request.FILES.getlist("photos"),
        )  # fmt: skip
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, f"Nothing was sent. {exc.message}")
    else:
        messages.success(request, "Answer sent; our staff decide next." if answer else "Message sent.")
    return _back(order_id, f"claim-{claim_id}")


@login_required
@require_POST
def claim_return_sent(request: HttpRequest, order_id: int, claim_id: int) -> HttpResponse:
    """The buyer: the vehicle is on its way back (and how)."""
    return _post_return(request, order_id, claim_id, received=False)


@login_required
@require_POST
def claim_return_received(request: HttpRequest, order_id: int, claim_id: int) -> HttpResponse:
    """The seller: the vehicle is back."""
    return _post_return(request, order_id, claim_id, received=True)


def _post_return(request: HttpRequest, order_id: int, claim_id: int, *, received: bool) -> HttpResponse:
    _claim_on(order_id, claim_id)
    note = request.POST.get("note", "")[:4000]
    service = services.claim_return_received if received else services.claim_return_sent
    try:
        service(actor=request.user, claim_id=claim_id, note=note)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "Thank you: the return is confirmed and the claim is closed."
            if received
            else "The seller was told the vehicle is on its way back.",
        )
    return _back(order_id, f"claim-{claim_id}")


@login_required
def claim_photo(request: HttpRequest, order_id: int, claim_id: int, photo_id: int) -> FileResponse:
    try:
        photo = selectors.claim_photo_visible_to(
            order_id=order_id, claim_id=claim_id, photo_id=photo_id, user=request.user
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    response = FileResponse(document_storage().open(photo.storage_name, "rb"), content_type=photo.content_type)
    response["Content-Disposition"] = content_disposition_header(False, photo.original_name) or "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
