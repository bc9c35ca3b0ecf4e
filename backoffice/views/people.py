"""Everything about a person on one page; suspend, reinstate and notes from there."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import services as accounts_services
from accounts.models import User
from backoffice import selectors, services
from backoffice.views.common import console_context, require
from core.audit import staff_action
from core.errors import DomainError


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


def people_search(request: HttpRequest) -> HttpResponse:
    require(request, "accounts.view_user")
    query = request.GET.get("q", "")[:200]
    context = console_context(request, "People", query=query, people=selectors.people_matching(query))
    return TemplateResponse(request, "admin/console/people.html", context)


def person(request: HttpRequest, user_id: int, forms_with_errors: dict[str, forms.Form] | None = None) -> HttpResponse:
    require(request, "accounts.view_user")
    overview = selectors.person_overview(user_id)
    if overview is None:
        raise Http404("No such person.")
    bound = forms_with_errors or {}
    context = console_context(
        request,
        overview.person.get_full_name() or overview.person.email,
        o=overview,
        reason_form=bound.get("reason") or ReasonForm(),
        note_form=bound.get("note") or NoteForm(),
        may_suspend=request.user.has_perm("accounts.suspend_user"),
        may_note=request.user.has_perm("backoffice.add_staffnote"),
    )
    return TemplateResponse(request, "admin/console/person.html", context, status=400 if bound else 200)


def _back(user_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:console_person", args=[user_id]))


@require_POST
def person_suspend(request: HttpRequest, user_id: int) -> HttpResponse:
    return _suspension(request, user_id, suspend=True)


@require_POST
def person_reinstate(request: HttpRequest, user_id: int) -> HttpResponse:
    return _suspension(request, user_id, suspend=False)


def _suspension(request: HttpRequest, user_id: int, *, suspend: bool) -> HttpResponse:
    require(request, "accounts.suspend_user")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return person(request, user_id, {"reason": form})
    reason = form.cleaned_data["reason"]
    action = "user_suspend" if suspend else "user_reinstate"
    service = accounts_services.user_suspend if suspend else accounts_services.user_reinstate
    try:
        with staff_action(request, action, User, user_id, fields=("suspended_at", "suspension_reason"), reason=reason):
            service(user_id=user_id, actor=request.user, reason=reason)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Account suspended; the member was told why." if suspend else "Account reinstated.")
    return _back(user_id)


@require_POST
def person_note(request: HttpRequest, user_id: int) -> HttpResponse:
    require(request, "backoffice.add_staffnote")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return person(request, user_id, {"note": form})
    try:
        services.staff_note_add(user_id=user_id, author=request.user, body=form.cleaned_data["body"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Note added.")
    return _back(user_id)
