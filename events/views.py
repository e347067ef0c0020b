from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ANYONE, ORGANIZERS, RolePermission
from events.selectors import event_get_visible
from events.serializers import EventCancelInput, EventInput, EventOutput, OwnedEventOutput
from events.services import event_cancel, event_create, event_publish, event_to_aware, event_update


def owned(doc):
    return OwnedEventOutput(event_to_aware(doc)).data


class EventListView(APIView):
    roles = {"GET": ANYONE, "POST": ORGANIZERS}
    permission_classes = [RolePermission]

    def post(self, request):
        data = EventInput(data=request.data)
        data.is_valid(raise_exception=True)
        doc = event_create(organizer=request.user, data=data.validated_data)
        return Response(owned(doc), status=status.HTTP_201_CREATED)


class EventDetailView(APIView):
    roles = {"GET": ANYONE, "PATCH": ORGANIZERS}
    permission_classes = [RolePermission]

    def get(self, request, event_id):
        doc = event_get_visible(event_id=event_id, user=request.user)
        is_owner = request.user and request.user.is_authenticated and doc["organizer_id"] == request.user.pk
        return Response(OwnedEventOutput(doc).data if is_owner else EventOutput(doc).data)

    def patch(self, request, event_id):
        data = EventInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        doc = event_update(event_id=event_id, actor=request.user, data=data.validated_data)
        return Response(owned(doc))


class EventPublishView(APIView):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    def post(self, request, event_id):
        return Response(owned(event_publish(event_id=event_id, actor=request.user)))


class EventCancelView(APIView):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    def post(self, request, event_id):
        data = EventCancelInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        doc = event_cancel(event_id=event_id, actor=request.user, reason=data.validated_data["reason"])
        return Response(owned(doc))
