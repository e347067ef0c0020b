"""OpenAPI helpers: one description of the error shape, and a decorator that
documents every status an endpoint can answer (drf-spectacular)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

ErrorDetail = inline_serializer(
    name="ErrorDetail",
    fields={
        "code": serializers.CharField(help_text="Stable, machine-readable."),
        "message": serializers.CharField(help_text="For people."),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Per-field messages (validation errors only).",
        ),
    },
)
Error = inline_serializer(name="Error", fields={"error": ErrorDetail})

ERROR_MEANINGS = {
    400: "Malformed body or parameters (`validation_error`, `parse_error`, ...).",
    401: "Missing, malformed, tampered or expired token, or wrong credentials.",
    403: "Authenticated, but this role or user may not do this.",
    404: "No such resource (drafts of other organizers included).",
    405: "Method not allowed on this route.",
    409: "The resource's state forbids this (see `code`).",
    413: "Request body too large.",
    415: "Only application/json bodies are accepted.",
    422: "Idempotency-Key reused with a different body.",
    429: "Throttled; see the Retry-After header.",
}
# Every route can answer these: the body size limit and the parser run first.
ALWAYS = (405, 413, 415)


def api_doc(*, summary, responses, errors=(), public=False, **kwargs):
    """`responses` maps success statuses to serializers; `errors` lists the
    error statuses besides those every route (or every authenticated route) has."""
    statuses = set(errors) | set(ALWAYS)
    if not public:
        statuses |= {401, 403}
    documented = dict(responses)
    for status in sorted(statuses):
        documented[status] = OpenApiResponse(Error, description=ERROR_MEANINGS[status])
    auth = {} if not public else {"auth": []}
    return extend_schema(summary=summary, responses=documented, **auth, **kwargs)


def page_of(output):
    """The page envelope of eventbooking.pagination around `output` items."""
    return inline_serializer(
        name=f"{output.__name__.removesuffix('Output')}Page",
        fields={
            "count": serializers.IntegerField(),
            "page": serializers.IntegerField(),
            "page_size": serializers.IntegerField(),
            "pages": serializers.IntegerField(),
            "next": serializers.IntegerField(allow_null=True),
            "previous": serializers.IntegerField(allow_null=True),
            "results": output(many=True),
        },
    )
