from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ANYONE, ORGANIZERS, RolePermission
from eventbooking.schema import api_doc, page_of
from eventbooking.cancel_event import event_cancel_with_bookings
from eventbooking.edit_event import event_update_with_offers
from events.selectors import event_get_visible, event_list_mine, event_list_public
from events.serializers import (
    EventCancelInput,
    EventInput,
    EventListInput,
    EventListMineInput,
    EventOutput,
    OwnedEventOutput,
)
from events.services import event_create, event_publish


TYPES_DOC = (
    "An event sells one or more ticket types. `types` is the whole list: an item with `id` changes that type "
    "(fields left out stay), one without adds a type (`name`, `capacity` required), a type left out is deleted. "
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


def owned(doc):
    return OwnedEventOutput(doc).data


def valid(serializer):
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def page_response(page, output):
    return Response({**page, "results": output(page["results"], many=True).data})


class EventListView(APIView):
    roles = {"GET": ANYONE, "POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="List published events", operation_id="events_list", parameters=[EventListInput], responses={200: page_of(EventOutput)}, errors=(400,), public=True)
    def get(self, request):
        params = valid(EventListInput(data=request.query_params))
        return page_response(event_list_public(params=params), EventOutput)

    @api_doc(
        summary="Create a draft event with its ticket types",
        description=TYPES_DOC,
        request=EventInput,
        responses={201: OwnedEventOutput},
        errors={400: "`validation_error`: a malformed field (`fields` names it, e.g. `types[1].capacity`); neither "
                "`types` nor `capacity` given; `price` given with `types`."},
    )
    def post(self, request):
        doc = event_create(organizer=request.user, data=valid(EventInput(data=request.data)))
        return Response(owned(doc), status=status.HTTP_201_CREATED)


class EventListMineView(APIView):
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="The caller's events, every status, with sales", operation_id="events_mine", parameters=[EventListMineInput], responses={200: page_of(OwnedEventOutput)}, errors=(400,))
    def get(self, request):
        params = valid(EventListMineInput(data=request.query_params))
        return page_response(event_list_mine(organizer=request.user, params=params), OwnedEventOutput)


class EventDetailView(APIView):
    roles = {"GET": ANYONE, "PATCH": ORGANIZERS}
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
        return Response(OwnedEventOutput(doc).data if is_owner else EventOutput(doc).data)

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
                 "what is sold; `tickets_sold`, `ticket_type_id`), `ticket_type_has_sales` (a type left out of "
                 "`types` has sales and cannot be deleted; `ticket_type_id`), `event_busy` (bookings kept changing the "
                 "seats during the edit: retry).",
        },
    )
    def patch(self, request, event_id):
        data = valid(EventInput(data=request.data, partial=True))
        return Response(owned(event_update_with_offers(event_id=event_id, actor=request.user, data=data)))


class EventPublishView(APIView):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="Publish a draft (owner)", request=None, responses={200: OwnedEventOutput}, errors=(404, 409))
    def post(self, request, event_id):
        return Response(owned(event_publish(event_id=event_id, actor=request.user)))


class EventCancelView(APIView):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="Cancel an event and its bookings (owner)", request=EventCancelInput, responses={200: OwnedEventOutput}, errors=(400, 404, 409))
    def post(self, request, event_id):
        # No body is {} here; a body that is not an object ([] or 0 or null) is a 400, never a cancel.
        data = valid(EventCancelInput(data=request.data))
        return Response(owned(event_cancel_with_bookings(event_id=event_id, actor=request.user, reason=data["reason"])))
