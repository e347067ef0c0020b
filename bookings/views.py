from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import CUSTOMERS, RolePermission
from bookings.selectors import booking_list_for_customer
from bookings.serializers import BookingInput, BookingListInput, booking_output, idempotency_key
from bookings.services import booking_cancel, booking_create


class BookingCreateView(APIView):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    def post(self, request):
        data = BookingInput(data=request.data)
        data.is_valid(raise_exception=True)
        booking, event, created = booking_create(
            customer=request.user,
            event_id=data.validated_data["eventId"],
            qty=data.validated_data["qty"],
            idempotency_key=idempotency_key(request),
        )
        if created:
            return Response(booking_output(booking, event), status=status.HTTP_201_CREATED)
        return Response(booking_output(booking, event), headers={"Idempotent-Replayed": "true"})


class MyBookingsView(APIView):
    roles = {"GET": CUSTOMERS}
    permission_classes = [RolePermission]

    def get(self, request):
        query = BookingListInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = booking_list_for_customer(customer=request.user, **query.validated_data)
        result["results"] = [booking_output(booking, event) for booking, event in result["results"]]
        return Response(result)


class BookingCancelView(APIView):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    def post(self, request, booking_id):
        booking, event = booking_cancel(booking_id=booking_id, actor=request.user)
        return Response(booking_output(booking, event))
