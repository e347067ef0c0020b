from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from accounts.permissions import ANYONE, ORGANIZERS, RolePermission
from shared.schema import api_doc, page_of
from events.output import EventOutput, OwnedEventOutput, event_json
from events.selectors import event_get_visible, event_list_mine, event_list_public
from events.serializers import (
    EventCancelInput,
    EventInput,
    EventListInput,
    EventListMineInput,
    EventTypesInput,
)
from events.services import event_cancel, event_create, event_delete, event_publish, event_update
from shared.endpoint import Endpoint


TYPES_DOC = (
    "An event sells one or more ticket types. In PATCH, `types` merges by id: an item with `id` changes that type "
    "(fields left out stay), `{\"id\": ..., \"remove\": true}` deletes it, an item without `id` adds a type "
    "(`name`, `capacity` required), and the types not named stay as they are. To give the whole list instead (a type "
    "left out is deleted), PUT /events/{event_id}/types. "
    "Without `types`, `capacity` and `price` make (or, on an event of one type and no quota, edit) its one type, "
    "\"General admission\". With several types, `capacity` is an overall quota below the sum of the types' seats; "
    "bookings respect both limits. While DRAFT anything may change; once PUBLISHED a type with sales cannot be "
    "deleted or shrunk below what it sold, and a new price applies to later bookings only."
)

# anyOf, not oneOf: an owner's event is a valid EventOutput too.
EVENT_FOR_VIEWER = OpenApiResponse(
    {"anyOf": [{"$ref": f"#/components/schemas/{output.__name__}"} for output in (OwnedEventOutput, EventOutput)]},
    description="OwnedEventOutput (with sales) for the owner, EventOutput for everyone else.",
)


# Documented by the serializers (the schema), rendered by event_json (events/serializers.py).
def owned(doc):
    return event_json(doc, owned=True)


def public(doc):
    return event_json(doc)


def valid(serializer):
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class EventListView(Endpoint):
    roles = {"GET": ANYONE, "POST": ORGANIZERS}
    permission_classes = [RolePermission]
    query = {"GET": EventListInput}

    @api_doc(summary="List published events", operation_id="events_list", parameters=[EventListInput], responses={200: page_of(EventOutput)}, errors=(400,), public=True)
    def get(self, request):
        return Response(event_list_public(params=request.params))

    @api_doc(
        summary="Create a draft event with its ticket types",
        description=TYPES_DOC,
        request=EventInput,
        responses={201: OwnedEventOutput},
        errors={400: "`validation_error`: a malformed field (`fields` names it, e.g. `{\"types\": {\"1\": {\"capacity\": [...]}}}`); neither "
                "`types` nor `capacity` given; `price` given with `types`."},
    )
    def post(self, request):
        doc = event_create(organizer=request.user, data=valid(EventInput(data=request.data)))
        return Response(owned(doc), status=status.HTTP_201_CREATED)


class EventListMineView(Endpoint):
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]
    query = {"GET": EventListMineInput}

    @api_doc(summary="The caller's events, every status, with sales", operation_id="events_mine", parameters=[EventListMineInput], responses={200: page_of(OwnedEventOutput)}, errors=(400,))
    def get(self, request):
        return Response(event_list_mine(organizer=request.user, params=request.params))


class EventDetailView(Endpoint):
    roles = {"GET": ANYONE, "PATCH": ORGANIZERS, "DELETE": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="One event (a draft only for its owner); owners also see sales",
        responses={200: EVENT_FOR_VIEWER},
        errors=(404,),
        public=True,
    )
    def get(self, request, event_id):
        doc = event_get_visible(event_id=event_id, user=request.user)
        is_owner = request.user and request.user.is_authenticated and doc["organizer_id"] == request.user.pk
        return Response(owned(doc) if is_owner else public(doc))

    @api_doc(
        summary="Edit an event and its ticket types (owner)",
        description=TYPES_DOC,
        request=EventInput,
        responses={200: OwnedEventOutput},
        errors={
            400: "`validation_error` (`fields` names the field), `starts_in_past`; `price` without `types` on an "
                 "event of several types.",
            404: "`event_not_found`.",
            409: "`event_cancelled`, `event_started`, `capacity_below_sold` (a type's or the event's capacity below "
                 "what is sold; `tickets_sold`, `ticket_type_id`), `ticket_type_has_sales` (a type being removed "
                 "has sales and cannot be deleted; `ticket_type_id`), `event_busy` (bookings kept changing the "
                 "seats during the edit: retry).",
        },
    )
    def patch(self, request, event_id):
        data = valid(EventInput(data=request.data, partial=True))
        return Response(owned(event_update(event_id=event_id, actor=request.user, data=data)))

    @api_doc(
        summary="Delete a draft (owner)",
        description="Only a draft is deleted. A published event is cancelled instead (POST /events/{event_id}/cancel), "
        "which cancels its bookings; a cancelled one stays on record.",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
        errors={
            404: "`event_not_found` (also for another organizer's event).",
            409: "`event_not_draft` (`status`): a published event is cancelled, not deleted.",
        },
    )
    def delete(self, request, event_id):
        event_delete(event_id=event_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventTypesView(Endpoint):
    roles = {"PUT": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Replace an event's ticket types with a whole new list (owner)",
        description="`types` is the whole list: an item with `id` changes that type, one without adds a type, and a "
        "type left out is deleted (refused once it has sales). PATCH /events/{event_id} merges instead.",
        request=EventTypesInput,
        responses={200: OwnedEventOutput},
        errors={
            400: "`validation_error` (`fields` names the field, e.g. `{\"types\": {\"0\": {\"id\": [...]}}}`).",
            404: "`event_not_found`.",
            409: "`event_cancelled`, `event_started`, `capacity_below_sold`, `ticket_type_has_sales` (a type left out "
                 "has sales; `ticket_type_id`), `event_busy`.",
        },
    )
    def put(self, request, event_id):
        data = valid(EventTypesInput(data=request.data))
        event = event_update(event_id=event_id, actor=request.user, data=data, replace_types=True)
        return Response(owned(event))


class EventPublishView(Endpoint):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="Publish a draft (owner)", request=None, responses={200: OwnedEventOutput}, errors=(404, 409))
    def post(self, request, event_id):
        return Response(owned(event_publish(event_id=event_id, actor=request.user)))


class EventCancelView(Endpoint):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="Cancel an event and its bookings (owner)", request=EventCancelInput, responses={200: OwnedEventOutput}, errors=(400, 404, 409))
    def post(self, request, event_id):
        # No body is {} here; a body that is not an object ([] or 0 or null) is a 400, never a cancel.
        data = valid(EventCancelInput(data=request.data))
        return Response(owned(event_cancel(event_id=event_id, actor=request.user, reason=data["reason"])))
