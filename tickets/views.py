from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from accounts.permissions import ANYONE, AUTHENTICATED, ORGANIZERS, RolePermission
from shared.endpoint import Endpoint
from shared.errors import error_body
from shared.schema import api_doc
from tickets import serializers as s
from tickets.keys import keyring
from tickets.selectors import checkin_list, door_staff_list, revocation_list, ticket_list_of_booking
from tickets.services import checkin_batch, checkin_scan, door_staff_grant, door_staff_revoke

REPLAYED_HEADER = "Idempotent-Replayed"
DOOR = "the event's organizer or its door staff"
SCAN_ERRORS = {
    400: "`validation_error` (a missing or malformed field), `ticket_code_malformed` (not a code of this service), "
    "`ticket_signature_invalid` (forged, altered, or signed by a key no longer accepted), `ticket_wrong_event` "
    "(a ticket of another event: `ticket_event_id` names it).",
    403: f"`permission_denied`: not {DOOR} (a door-staff grant is for one event).",
    404: "`event_not_found`.",
    409: "`already_checked_in` (`ticket_id`, `checked_in_at`, `gate`, `scanned_at` of the first check-in), "
    "`ticket_revoked` (`reason`: `booking_cancelled`, `event_cancelled` or `booking_void`; `revoked_at`).",
    422: "`nonce_reused`: this nonce already admitted another ticket.",
}


class PublishedKeysView(Endpoint):
    roles = {"GET": ANYONE}
    permission_classes = [RolePermission]
    authentication_classes = []

    @api_doc(
        summary="The public keys that verify ticket codes (a JSON Web Key Set)",
        description="Each Ed25519 key that signed codes still accepted, by key id (bytes 1-2 of a code). "
        "A scanner fetches this once and verifies codes offline.",
        responses={200: s.PublishedKeys}, public=True, operation_id="ticket_keys",
    )
    def get(self, request):
        return Response(keyring().published(), headers={"Cache-Control": "public, max-age=300"})


class BookingTicketsView(Endpoint):
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary="A booking's tickets, one per seat, with signed codes and QR images (the booking's customer)",
        responses={200: s.TicketListOutput},
        errors={404: "`booking_not_found` (also for someone else's booking)."},
        operation_id="bookings_tickets",
    )
    def get(self, request, booking_id):
        return Response(s.TicketListOutput(ticket_list_of_booking(booking_id=booking_id, customer=request.user)).data)


class CheckinView(Endpoint):
    query = {"GET": s.CheckinListInput}
    roles = {"POST": AUTHENTICATED, "GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary=f"Check a ticket in at the door ({DOOR})",
        description="201 for the first scan of a ticket; the same nonce again answers 201 again with the same "
        "check-in (`Idempotent-Replayed: true`).",
        request=s.CheckinInput,
        responses={201: s.CheckinOutput},
        parameters=[OpenApiParameter(REPLAYED_HEADER, location=OpenApiParameter.HEADER, response=[201],
                                     description="`true` when the nonce's first answer is sent again.")],
        errors=SCAN_ERRORS,
        operation_id="checkins_create",
    )
    def post(self, request, event_id):
        data = s.CheckinInput.validated(request.data)
        checkin, replayed = checkin_scan(event_id=event_id, actor=request.user, **data)
        return Response(s.CheckinOutput(checkin).data, status=status.HTTP_201_CREATED,
                        headers={REPLAYED_HEADER: "true"} if replayed else None)

    @api_doc(
        summary=f"The event's check-ins, newest first, with counts per ticket type and gate ({DOOR})",
        parameters=[s.CheckinListInput],
        responses={200: s.CheckinListOutput},
        errors={400: "`validation_error`: a malformed `page`, `page_size`, `q` or `gate`.",
                403: f"`permission_denied`: not {DOOR}.", 404: "`event_not_found`."},
        operation_id="checkins_list",
    )
    def get(self, request, event_id):
        params = request.params
        return Response(s.CheckinListOutput(checkin_list(event_id=event_id, actor=request.user, **params)).data)


class CheckinBatchView(Endpoint):
    roles = {"POST": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary=f"Upload scans made offline ({DOOR}); safe to send again",
        description=f"1 to {s.MAX_BATCH} scans, each answered as POST /events/:id/checkins would have answered it "
        "alone, in order. Scans already uploaded answer their first answer again, so a scanner "
        "uploads until it gets an answer.",
        request=s.CheckinBatchInput,
        responses={200: s.CheckinBatchOutput},
        errors={400: "`validation_error`: a malformed scan (the whole batch is refused; `fields` names it).",
                403: f"`permission_denied`: not {DOOR}.", 404: "`event_not_found`."},
        operation_id="checkins_batch",
    )
    def post(self, request, event_id):
        scans = s.CheckinBatchInput.validated(request.data)["scans"]
        answers = checkin_batch(event_id=event_id, actor=request.user, scans=scans)
        results = []
        for scan, (code, answer) in zip(scans, answers):
            if code == 201:
                results.append({"nonce": scan["nonce"], "status": 201, "checkin": s.CheckinOutput(answer).data, "error": None})
            else:
                error = error_body(answer.code, answer.message, **answer.extra)["error"]
                results.append({"nonce": scan["nonce"], "status": code, "checkin": None, "error": error})
        return Response({"results": results})


class RevocationListView(Endpoint):
    query = {"GET": s.RevocationListInput}
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary=f"Tickets an offline scanner must refuse: the event's cancelled bookings ({DOOR})",
        description="Oldest cancellation first. Send `next_since` as `since` on the next sync; "
        "`event_cancelled` true means every ticket of the event is refused.",
        parameters=[s.RevocationListInput],
        responses={200: s.RevocationListOutput},
        errors={400: "`validation_error`: a malformed `since`, `page` or `page_size` (at most 1000).",
                403: f"`permission_denied`: not {DOOR}.", 404: "`event_not_found`."},
        operation_id="revocations_list",
    )
    def get(self, request, event_id):
        params = request.params
        return Response(s.RevocationListOutput(revocation_list(event_id=event_id, actor=request.user, **params)).data)


class DoorStaffView(Endpoint):
    roles = {"GET": ORGANIZERS, "POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="The accounts that may check tickets in at this event (its organizer)",
        responses={200: s.DoorStaffOutput(many=True)},
        errors={403: "`permission_denied`: not the event's organizer.", 404: "`event_not_found`."},
        operation_id="door_staff_list",
    )
    def get(self, request, event_id):
        return Response(s.DoorStaffOutput(door_staff_list(event_id=event_id, actor=request.user), many=True).data)

    @api_doc(
        summary="Let an account check tickets in at this event, until revoked (its organizer)",
        request=s.DoorStaffInput,
        responses={201: OpenApiResponse(s.DoorStaffOutput, description="Granted."),
                   200: OpenApiResponse(s.DoorStaffOutput, description="Granted already: the first grant.")},
        errors={400: "`validation_error`, `door_staff_is_organizer`.", 403: "`permission_denied`: not the event's organizer.",
                404: "`event_not_found`, `user_not_found` (no account has this email)."},
        operation_id="door_staff_grant",
    )
    def post(self, request, event_id):
        data = s.DoorStaffInput.validated(request.data)
        grant, created = door_staff_grant(event_id=event_id, actor=request.user, email=data["email"])
        return Response(s.DoorStaffOutput(grant).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DoorStaffDetailView(Endpoint):
    roles = {"DELETE": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Take back an account's door-staff grant for this event (its organizer)",
        responses={204: None},
        errors={403: "`permission_denied`: not the event's organizer.", 404: "`event_not_found`, `door_staff_not_found`."},
        operation_id="door_staff_revoke",
    )
    def delete(self, request, event_id, email):
        door_staff_revoke(event_id=event_id, actor=request.user, email=email)
        return Response(status=status.HTTP_204_NO_CONTENT)
