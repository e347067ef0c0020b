from rest_framework import status
from rest_framework.response import Response

from accounts.permissions import CUSTOMERS, RolePermission
from shared.pagination import PageInput, page_list
from shared.schema import api_doc, page_of
from waitlist.selectors import entry_shown, waitlist_list_mine
from waitlist.serializers import WaitlistEntryOutput, WaitlistJoinInput
from waitlist.services import waitlist_join, waitlist_leave
from shared.endpoint import Endpoint


class WaitlistJoinView(Endpoint):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Wait in line for seats of a sold-out ticket type (customers)",
        description="Freed seats go to the line in order: the first waiting entry whose qty fits gets a hold "
        "and a `waitlist.offer` in real time; claim it with POST /bookings {holdId} before it expires.",
        request=WaitlistJoinInput,
        responses={201: WaitlistEntryOutput},
        errors={
            400: "`validation_error` (`qty` a whole number from 1 to MAX_TICKETS_PER_BOOKING, `ticketTypeId` like "
            "TT-0001); `ticket_type_required` (several types and no `ticketTypeId`).",
            404: "`event_not_found`, `ticket_type_not_found`.",
            409: "`seats_available` (enough seats are on sale and nobody waits: book instead; `seats_available`), "
            "`already_in_waitlist` (`entry_id`), `event_not_bookable`, `event_started`, "
            "`over_ticket_type_maximum`, `event_busy`.",
        },
    )
    def post(self, request, event_id):
        data = WaitlistJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry, event = waitlist_join(
            customer=request.user, event_id=event_id, qty=data.validated_data["qty"],
            ticket_type_id=data.validated_data.get("ticketTypeId"),
        )
        return Response(WaitlistEntryOutput(entry_shown(event, entry)).data, status=status.HTTP_201_CREATED)


class WaitlistMineView(Endpoint):
    roles = {"GET": CUSTOMERS}
    permission_classes = [RolePermission]
    query = {"GET": PageInput}

    @api_doc(summary="The caller's waiting-list entries, newest first (customers)", operation_id="waitlist_mine",
             parameters=[PageInput], responses={200: page_of(WaitlistEntryOutput)},
             errors={400: "`validation_error`: a malformed `page` or `page_size`, or an unknown parameter."})
    def get(self, request):
        result = page_list(waitlist_list_mine(customer=request.user), **request.params)
        result["results"] = WaitlistEntryOutput(result["results"], many=True).data
        return Response(result)


class WaitlistEntryView(Endpoint):
    roles = {"DELETE": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Leave the line, or remove a closed entry (the customer in it)",
        description="Leaving an OFFERED entry gives its hold's seats back; they go to the next in line.",
        responses={204: None},
        errors={404: "`waitlist_entry_not_found`.", 409: "`waitlist_entry_busy` (retry)."},
    )
    def delete(self, request, entry_id):
        waitlist_leave(entry_id=entry_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
