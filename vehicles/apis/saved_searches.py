"""Saved searches: `GET/POST /api/saved-searches`, `GET/PUT/PATCH/DELETE /api/saved-searches/<id>`.

Filters are the inventory's (`GET /api/vehicles` parameters), given as an object (`filters`) or as the
inventory's query string (`query`); both go through the inventory's parser, so a saved search means exactly
what that inventory search shows.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import Pagination, ok
from core.error_schema import ErrorOutput
from core.response_schema import enveloped, paginated
from vehicles import search
from vehicles.filters import criteria_querystring, typed
from vehicles.models import SavedSearch
from vehicles.selectors import saved_searches_for
from vehicles.services import saved_search_create, saved_search_delete, saved_search_update
from vehicles.services.saved_searches import SavedSearchInvalid, criteria_from_params

ERRORS = {
    400: OpenApiResponse(ErrorOutput, description="Invalid name, frequency or filters (details per field)"),
    401: OpenApiResponse(ErrorOutput, description="Not logged in"),
}
NOT_FOUND = {404: OpenApiResponse(ErrorOutput, description="No such saved search of yours (saved_search_not_found)")}
CONFLICT = {409: OpenApiResponse(ErrorOutput, description="Name already used, or 50 searches already (too_many)")}


class SavedSearchOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    frequency = serializers.ChoiceField(choices=SavedSearch.Frequency.choices)
    paused = serializers.BooleanField(source="is_paused")
    filters = serializers.DictField(source="criteria", help_text="Canonical inventory filters, sort included")
    summary = serializers.SerializerMethodField()
    inventory_url = serializers.SerializerMethodField(help_text="The inventory page showing this search")
    api_url = serializers.SerializerMethodField(help_text="GET /api/vehicles with this search")
    match_count = serializers.IntegerField(help_text="Vehicles this search has alerted (or will digest)")
    last_alert_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.CharField())
    def get_summary(self, saved: SavedSearch) -> str:
        return search.describe(typed(saved.criteria))

    @extend_schema_field(serializers.CharField())
    def get_inventory_url(self, saved: SavedSearch) -> str:
        return reverse("vehicles:inventory") + "?" + criteria_querystring(saved.criteria)

    @extend_schema_field(serializers.CharField())
    def get_api_url(self, saved: SavedSearch) -> str:
        return reverse("api-vehicles") + "?" + criteria_querystring(saved.criteria)


class FiltersField(serializers.DictField):
    """Inventory filters as an object: {"make": "Honda", "body_type": ["suv"], "runs_drives": true, ...}."""


def _criteria(data: dict[str, Any], user: Any) -> dict[str, Any] | None:
    if data.get("filters") is not None and data.get("query") is not None:
        raise SavedSearchInvalid("Send filters or query, not both.", details={"query": ["send filters or query"]})
    if data.get("filters") is not None:
        return criteria_from_params(data["filters"], user=user)
    if data.get("query") is not None:
        return criteria_from_params(str(data["query"]), user=user)
    return None


def _parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    if not serializer.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in serializer.errors.items()}
        name, messages = next(iter(errors.items()))
        raise SavedSearchInvalid(f"{name}: {messages[0]}", details=errors)
    return dict(serializer.validated_data)


def _out(saved: SavedSearch) -> dict[str, Any]:
    from vehicles.selectors import saved_search_get

    return SavedSearchOutput(saved_search_get(user=saved.user, search_id=saved.pk)).data  # type: ignore[return-value]


class SavedSearchListApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        frequency = serializers.ChoiceField(choices=SavedSearch.Frequency.choices, required=False)
        filters = FiltersField(required=False, help_text="Inventory filters as an object")
        query = serializers.CharField(required=False, allow_blank=True, help_text="Or the inventory's query string")

    @extend_schema(
        responses={200: paginated(SavedSearchOutput), **ERRORS},
        operation_id="saved_searches_list",
        summary="My saved searches (paginated, newest first)",
        tags=["saved searches"],
    )
    def get(self, request: Request) -> Response:
        paginator = Pagination()
        page = paginator.paginate_queryset(saved_searches_for(request.user), request, view=self)
        return paginator.get_paginated_response(SavedSearchOutput(page, many=True).data)

    @extend_schema(
        request=Input,
        responses={201: enveloped(SavedSearchOutput), **ERRORS, **CONFLICT},
        summary="Save an inventory search with a name; alerts instantly (default) or in a daily digest",
        tags=["saved searches"],
    )
    def post(self, request: Request) -> Response:
        data = _parse(self.Input, request)
        criteria = _criteria(data, request.user)
        saved = saved_search_create(
            user=request.user, name=data["name"], criteria=criteria or {}, frequency=data.get("frequency")
        )
        return ok(_out(saved), message="Search saved.", status_code=status.HTTP_201_CREATED)


class SavedSearchDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        frequency = serializers.ChoiceField(choices=SavedSearch.Frequency.choices, required=False)
        paused = serializers.BooleanField(required=False)
        filters = FiltersField(required=False)
        query = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(responses={200: enveloped(SavedSearchOutput), **ERRORS, **NOT_FOUND}, tags=["saved searches"])
    def get(self, request: Request, search_id: int) -> Response:
        from vehicles.selectors import saved_search_get

        return ok(SavedSearchOutput(saved_search_get(user=request.user, search_id=search_id)).data)

    @extend_schema(
        request=Input,
        responses={200: enveloped(SavedSearchOutput), **ERRORS, **NOT_FOUND, **CONFLICT},
        summary="Rename, change frequency, pause or resume, or change the filters (given fields only)",
        tags=["saved searches"],
    )
    def put(self, request: Request, search_id: int) -> Response:
        data = _parse(self.Input, request)
        saved = saved_search_update(
            user=request.user,
            search_id=search_id,
            name=data.get("name"),
            frequency=data.get("frequency"),
            paused=data.get("paused"),
            criteria=_criteria(data, request.user),
        )
        return ok(_out(saved), message="Saved.")

    @extend_schema(
        request=Input,
        responses={200: enveloped(SavedSearchOutput), **ERRORS, **NOT_FOUND, **CONFLICT},
        tags=["saved searches"],
    )
    def patch(self, request: Request, search_id: int) -> Response:
        return self.put(request, search_id)

    @extend_schema(
        responses={204: None, **ERRORS, **NOT_FOUND}, summary="Delete a saved search", tags=["saved searches"]
    )
    def delete(self, request: Request, search_id: int) -> Response:
        saved_search_delete(user=request.user, search_id=search_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
