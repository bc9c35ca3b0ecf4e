"""Saved searches on the site: save the inventory search you are looking at, list, rename, pause, delete.
Plain forms (POST, message, redirect); the inventory page's "Save this search" posts here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from core.errors import DomainError
from vehicles import search
from vehicles.filters import criteria_querystring, typed
from vehicles.models import SavedSearch
from vehicles.selectors import saved_searches_for
from vehicles.services import saved_search_create, saved_search_delete, saved_search_update
from vehicles.services.saved_searches import criteria_from_params


@login_required
def saved_search_list(request: HttpRequest) -> HttpResponse:
    searches = list(saved_searches_for(request.user))
    rows = [
        {
            "search": saved,
            "summary": search.describe(typed(saved.criteria)),
            "inventory_url": "/vehicles/?" + criteria_querystring(saved.criteria),
        }
        for saved in searches
    ]
    return render(
        request,
        "vehicles/saved_searches.html",
        {"rows": rows, "frequencies": SavedSearch.Frequency.choices},
    )


@login_required
@require_POST
def saved_search_save(request: HttpRequest) -> HttpResponse:
    """From the inventory page: the current query string, a name and a frequency."""
    query = request.POST.get("query", "")
    back = "/vehicles/?" + query.lstrip("?") if query else "/vehicles/"
    try:
        criteria = criteria_from_params(query, user=request.user)
        saved = saved_search_create(
            user=request.user,
            name=request.POST.get("name") or search.describe(typed(criteria))[:80],
            criteria=criteria,
            frequency=request.POST.get("frequency"),
        )
    except DomainError as exc:
        messages.error(request, f"The search was not saved: {exc.message}")
        return redirect(back)
    how = "at once" if saved.frequency == SavedSearch.Frequency.INSTANT else "in a daily digest"
    messages.success(
        request,
        f"Saved “{saved.name}”. We will tell you {how} when a matching vehicle is listed. Manage it under Saved searches.",
    )
    return redirect(back)


@login_required
@require_POST
def saved_search_change(request: HttpRequest, search_id: int) -> HttpResponse:
    action = request.POST.get("action", "")
    try:
        if action == "delete":
            saved_search_delete(user=request.user, search_id=search_id)
            messages.success(request, "Saved search deleted.")
        elif action in ("pause", "resume"):
            saved = saved_search_update(user=request.user, search_id=search_id, paused=action == "pause")
            messages.success(request, f"“{saved.name}” {'paused' if saved.is_paused else 'resumed'}.")
        else:
            saved = saved_search_update(
                user=request.user,
                search_id=search_id,
                name=request.POST.get("name"),
                frequency=request.POST.get("frequency"),
            )
            messages.success(request, f"Saved “{saved.name}”.")
    except DomainError as exc:
        messages.error(request, exc.message)
    target = request.POST.get("next") or "/saved-searches/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/saved-searches/"
    return redirect(target)
