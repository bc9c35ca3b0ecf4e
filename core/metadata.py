"""OPTIONS answers for the API (REST_FRAMEWORK["DEFAULT_METADATA_CLASS"])."""

from typing import Any

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """OPTIONS: DRF's description of a view. Views that read their input through nested `Input` serializers have
    no `serializer_class`, where DRF's description of POST/PUT asserts (a 500); they describe no actions (the
    schema at /api/schema/ documents every input)."""

    def determine_actions(self, request: Any, view: Any) -> dict[str, Any]:
        try:
            view.get_serializer_class()
        except AssertionError:
            return {}
        return dict(super().determine_actions(request, view))
