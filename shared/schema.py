"""OpenAPI helpers: one description of the error shape, and a decorator that
documents every status an endpoint can answer (drf-spectacular)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers

# What shared.errors._validation_fields makes of DRF's errors: a field's
# messages, or for a list or nested object, the same shape keyed by index or name.
MESSAGES = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
NESTED = {"type": "object", "additionalProperties": {"anyOf": [MESSAGES, {"type": "object"}]}}


@extend_schema_field({**NESTED, "example": {"qty": ["Ensure this value is greater than or equal to 1."], "tags": {"0": ["Tags are 1-32 letters, digits or dashes."]}}})
class FieldErrors(serializers.DictField):
    pass


ErrorDetail = inline_serializer(
    name="ErrorDetail",
    fields={
        "code": serializers.CharField(help_text="Stable, machine-readable."),
        "message": serializers.CharField(help_text="For people."),
        "fields": FieldErrors(
            required=False,
            help_text="Per-field messages (validation errors only); list items and nested objects keyed by index or name.",
        ),
    },
)
Error = inline_serializer(name="Error", fields={"error": ErrorDetail})

ERROR_MEANINGS = {
    400: "Malformed body or parameters (`validation_error`, `parse_error`, ...); a query parameter the route "
    "does not take is a `validation_error` naming it.",
    401: "Missing, malformed, tampered or expired token, or wrong credentials.",
    403: "Authenticated, but this role or user may not do this.",
    404: "No such resource (drafts of other organizers included).",
    405: "Method not allowed on this route.",
    409: "The resource's state forbids this (see `code`).",
    413: "Request body too large.",
    415: "Only application/json bodies are accepted.",
    422: "Idempotency-Key reused with a different body.",
    429: "Throttled; see the Retry-After header.",
    500: "Unexpected failure (the database unreachable, a bug). Never a stack trace: "
    "the X-Request-ID header finds the logged one.",
}
# Every route can answer these: the body size limit and the parser run first, every
# route refuses query parameters it does not take (shared/endpoint.py), and any
# route fails with 500 when the database does.
ALWAYS = (400, 405, 413, 415, 500)


def api_doc(*, summary, responses, errors=(), public=False, **kwargs):
    """`responses` maps success statuses to serializers; `errors` lists the
    error statuses besides those every route (or every authenticated route) has,
    or maps them to what they mean here (the codes a client can expect)."""
    meanings = {**ERROR_MEANINGS, **(errors if isinstance(errors, dict) else {})}
    statuses = set(errors) | set(ALWAYS)
    if not public:
        statuses |= {401, 403}
    documented = dict(responses)
    for status in sorted(statuses):
        documented[status] = OpenApiResponse(Error, description=meanings[status])
    auth = {} if not public else {"auth": []}
    return extend_schema(summary=summary, responses=documented, **auth, **kwargs)


def page_of(output):
    """The page envelope of shared.pagination around `output` items."""
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


class TokenAuthenticationScheme(SimpleJWTScheme):
    """accounts.authentication.TokenAuthentication is simplejwt's Bearer JWT scheme."""

    target_class = "accounts.authentication.TokenAuthentication"


class AutoSchema(SpectacularAutoSchema):
    """A public route that still authenticates (GET /events/:id shows owners their
    drafts) takes a token optionally, and a bad one is a 401 there too."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None or "security" in operation or not self.view.get_authenticators():
            return operation
        # api_doc(public=True) overrides get_auth with []; the base class still names the view's scheme.
        operation["security"] = [*SpectacularAutoSchema.get_auth(self), {}]
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        operation["responses"].setdefault("401", {**error, "description": "A token was sent and is invalid or expired."})
        operation["responses"] = dict(sorted(operation["responses"].items()))
        return operation
