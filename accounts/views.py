"""HTML pages of the accounts domain (thin: parse, call one service, render)."""

from typing import Any

import structlog
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts import persona, selectors, services
from accounts.authorize_net import CardInput, OpaqueCard, uses_accept_js
from accounts.dashboard import dashboard_counts
from accounts.forms import CardForm, ProfileForm, SellerApplicationForm
from accounts.models import CardOnFile, IdentityVerification, User
from core.api import error_body
from core.errors import DomainError, VendorUnavailable
from core.site_urls import absolute_url
from core.webhooks import WebhookRejected, rejected

logger = structlog.get_logger(__name__)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _apply_domain_error(form: Any, exc: DomainError) -> None:
    """Put a service's field errors next to the fields, the rest at the top of the form."""
    placed = False
    for field, problems in (exc.details or {}).items():
        if field in form.fields and isinstance(problems, list):
            form.add_error(field, exc.message if len(problems) == 1 else problems)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


@login_required
def account_hub(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = {
        "steps": selectors.readiness_steps(user),
        "eligibility": selectors.bidding_eligibility(user),
        "selling": selectors.selling_eligibility(user),
        "application": selectors.seller_application(user),
        "identity": IdentityVerification.objects.filter(user=user).first(),
        "card": CardOnFile.objects.filter(user=user).first(),
        "two_factor": selectors.has_two_factor(user),
        "emails": EmailAddress.objects.filter(user=user),
        "counts": dashboard_counts(user),
    }
    return render(request, "accounts/hub.html", context)


@login_required
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.user_profile_update(user=user, **{key: form.cleaned_data[key] for key in ProfileForm.Meta.fields})
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def ready_checklist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "accounts/ready.html",
        {"steps": selectors.readiness_steps(user), "eligibility": selectors.bidding_eligibility(user)},
    )


@login_required
def seller_apply(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    application = selectors.seller_application(user)
    initial = {
        "address_line1": user.address_line1,
        "city": user.city,
        "state": user.state,
        "postal_code": user.postal_code,
    }
    if application is not None:
        initial.update(
            {
                "business_name": application.business_name,
                "dealer_license_number": application.dealer_license_number,
                "tax_id": application.tax_id,
                "address_line1": application.address_line1,
                "city": application.city,
                "state": application.state,
                "postal_code": application.postal_code,
            }
        )
    form = SellerApplicationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.seller_application_submit(user=user, **form.cleaned_data)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, "Thanks! Your seller application is waiting for review.")
            return redirect("accounts:seller")
    can_apply = application is None or application.accepts_resubmission()
    return render(
        request,
        "accounts/seller.html",
        {"form": form, "application": application, "can_apply": can_apply and not user.is_seller},
    )


@login_required
def identity_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    verification = IdentityVerification.objects.filter(user=user).first()
    return render(request, "accounts/identity.html", {"verification": verification, "sandbox": persona.is_sandbox()})


@login_required
@require_POST
def identity_start(request: HttpRequest) -> HttpResponseBase:
    user = _user(request)
    return_url = absolute_url(reverse("accounts:identity-return"))
    try:
        started = services.identity_verification_start(user=user, redirect_uri=return_url)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:identity")
    return redirect(started.redirect_url)


@login_required
def identity_return(request: HttpRequest) -> HttpResponseBase:
    """Back from the hosted flow. The query string's status is ignored: the service fetches the inquiry."""
    user = _user(request)
    inquiry_id = request.GET.get("inquiry-id", "")
    try:
        verification = services.identity_verification_return(user=user, inquiry_id=inquiry_id)
    except VendorUnavailable:
        messages.warning(request, "We could not confirm your ID check yet. We will check again in a few minutes.")
        return redirect("accounts:identity")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:identity")
    text = {
        IdentityVerification.Status.APPROVED: ("success", "Your identity is verified."),
        IdentityVerification.Status.DECLINED: ("error", "We could not verify your identity."),
        IdentityVerification.Status.NEEDS_REVIEW: ("info", "Thanks! Your ID check is being reviewed."),
    }.get(
        IdentityVerification.Status(verification.status),
        ("info", "Thanks! We will let you know when your ID check is done."),
    )
    getattr(messages, text[0])(request, text[1])
    if verification.status == IdentityVerification.Status.APPROVED:
        return redirect(_next_step_url(user))  # straight on to the card
    return redirect("accounts:ready")


@login_required
def identity_sandbox(request: HttpRequest, inquiry_id: str) -> HttpResponseBase:
    """`make run` only: plays Persona's hosted flow. The buttons change the sandbox vendor's state, then
    the browser comes back through the same return view (and the same fetch) as with real Persona."""
    if not persona.is_sandbox():
        return render(request, "404.html", status=404)
    user = _user(request)
    verification = IdentityVerification.objects.filter(user=user, inquiry_id=inquiry_id).first()
    if verification is None:
        return render(request, "404.html", status=404)
    if request.method == "POST":
        decision = request.POST.get("decision", "")
        if decision in ("approved", "declined", "needs_review"):
            persona.SandboxPersona().decide(inquiry_id, decision)
        # The redirect goes to our own return view, never to a URL from the query string.
        return redirect(f"{reverse('accounts:identity-return')}?inquiry-id={inquiry_id}&status=completed")
    return render(request, "accounts/identity_sandbox.html", {"inquiry_id": inquiry_id})


@login_required
def card_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    card = CardOnFile.objects.filter(user=user).first()
    form = CardForm(request.POST or None, user=user)
    was_ready = selectors.bidding_eligibility(user).ok
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        entered: CardInput | OpaqueCard
        if data.get("data_value"):
            entered = OpaqueCard(
                data["data_descriptor"],
                data["data_value"],
                data["exp_month"],
                data["exp_year"],
                data.get("last4") or "",
            )
        else:
            entered = CardInput(data["card_number"], data["exp_month"], data["exp_year"], data.get("cvv") or "")
        try:
            saved = services.card_save(user=user, card=entered, billing=form.billing())
        except VendorUnavailable as exc:
            form.add_error(None, exc.message)
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, f"{saved.label} is on file and ready to use.")
            # Back where the person came from (the order page's "Add a card": ?next=); otherwise, on the way to
            # "ready to bid", on to the next step (the checklist, once it is the last); a card replaced by
            # someone already ready stays here.
            back = request.GET.get("next", "")
            if back and url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(back)
            return redirect("accounts:card" if was_ready else _next_step_url(user))
    context = {
        "card": card,
        "form": form,
        "accept_js": uses_accept_js(),
        "accept_js_url": settings.AUTHORIZE_NET_ACCEPT_JS_URL,
        "api_login_id": settings.AUTHORIZE_NET_LOGIN_ID,
        "client_key": settings.AUTHORIZE_NET_CLIENT_KEY,
    }
    return render(request, "accounts/card.html", context, status=400 if form.errors else 200)


def _next_step_url(user: User) -> str:
    """Where the "get ready to bid" path goes next: the first step not done, the checklist once all are."""
    pending = [step for step in selectors.readiness_steps(user) if not step.done]
    return pending[0].url if pending else reverse("accounts:ready")


@login_required
@require_POST
def card_remove(request: HttpRequest) -> HttpResponseBase:
    try:
        services.card_remove(user=_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your card was removed. Add a card before you bid again.")
    return redirect("accounts:card")


@csrf_exempt
@require_POST
def persona_webhook(request: HttpRequest) -> JsonResponse:
    """Persona → us. Signed (Persona-Signature), idempotent on the event id; 2xx tells Persona to stop retrying."""
    try:
        result = services.persona_webhook_receive(
            body=request.body, signature_header=request.headers.get("Persona-Signature", "")
        )
    except WebhookRejected as exc:
        logger.warning("webhook.rejected", vendor="persona", reason=exc.message)
        rejected("persona", exc, remote_addr=request.META.get("REMOTE_ADDR"))
        return JsonResponse(error_body(exc.message, code=exc.code), status=exc.status_code)
    return JsonResponse({"data": {"result": result}})
