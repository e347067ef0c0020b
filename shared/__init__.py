"""Helpers every app uses: the error shape and base domain errors, public ids, raw MongoDB
collections, money, hand-built output, the API view base, pagination, strict serializers,
the OpenAPI helpers, time, bounded JSON, exports, the Redis pool and guard, the development
keys and the test hooks' door. Nothing here imports an app."""
