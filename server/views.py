from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from shared.cachepool import cache
from shared.endpoint import Endpoint
from shared.errors import database_outage
from shared.schema import ERROR_MEANINGS, Error


def _check(probe):
    try:
        probe()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
        if database_outage(exc) is not None:
            return f"error: unreachable ({exc.__class__.__name__})"
        return f"error: {exc.__class__.__name__}"


def _ping_redis():
    cache.set("health:ping", "1", 5)
    if cache.get("health:ping") != "1":
        raise RuntimeError("cache did not return the value")


class HealthOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["ok", "degraded"])
    database = serializers.CharField()
    redis = serializers.CharField()


class HealthView(Endpoint):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Database and Redis status",
        auth=[],
        responses={200: HealthOutput, 503: HealthOutput, 400: OpenApiResponse(Error, description=ERROR_MEANINGS[400])},
    )
    def get(self, request):
        database = _check(lambda: connection.database.command("ping"))
        redis = _check(_ping_redis) if settings.REDIS_URL else "not configured"
        healthy = database == "ok" and redis in ("ok", "not configured")
        body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis}
        return Response(body, status=200 if healthy else 503)


class DocsView(SpectacularSwaggerView):
    """Swagger UI. Its only renderer is an HTML template, which cannot render DRF's
    OPTIONS metadata (a 500): OPTIONS answers with the allowed methods only."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Allow": ", ".join(self.allowed_methods)})
