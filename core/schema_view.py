"""The view that serves /api/schema/ (its own module: core.schema is loaded by DRF's settings)."""

import threading
from typing import Any

from django.core.signals import setting_changed
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """/api/schema/: drf-spectacular's view, generating the schema once per process (per version and language).

    drf-spectacular's generator is not thread-safe: two requests on daphne's thread pool at once made one of them
    a 500 (AttributeError inside the generator). The schema is the same for every caller of a deploy, so it is
    built under a lock and kept; settings changes (tests) forget it."""

    _lock = threading.Lock()
    _built: dict[tuple[Any, ...], dict[str, Any]] = {}

    def _get_schema_response(self, request: Request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, request.GET.get("lang"), self.serve_public)
        with self._lock:
            if key not in self._built:
                generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
                self._built[key] = generator.get_schema(request=request, public=self.serve_public)
        filename = self._get_filename(request, version)
        return Response(data=self._built[key], headers={"Content-Disposition": f'inline; filename="{filename}"'})


def _forget_schema(**kwargs: Any) -> None:
    SchemaView._built.clear()


setting_changed.connect(_forget_schema, dispatch_uid="core.schema_view.forget")
