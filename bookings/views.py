from django.conf import settings
from django.http import Http404
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.permissions import AUTHENTICATED, CUSTOMERS, RolePermission
from bookings.selectors import attendee_event, attendee_page, attendee_rows, booking_get_visible, booking_list_mine
from bookings.serializers import (
    IDEMPOTENCY_HEADER,
    BookingInput,
    BookingListInput,
    ATTENDEE_COLUMNS,
    AttendeeListInput,
    AttendeeOutput,
    BookingOutput,
    HoldInput,
    HoldOutput,
    attendee_row,
    booking_output,
    hold_output,
    idempotency_key,
)
from bookings.services import booking_cancel, booking_create
from bookings.services.holds import hold_create, hold_get, hold_list_mine, hold_release
from shared.pagination import PageInput, page_list
from shared.exports import CSV_TYPE, EXPORT_RENDERERS, XLSX_TYPE, export_response
from shared.schema import api_doc, page_of
from shared.endpoint import Endpoint

REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAM = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]([ -~]{0,253}[!-~])?$",
    description=(
        "Optional, 1-255 visible ASCII characters (a UUID is a good choice). The same key from the same "
        "customer with the same body returns the original booking (200, `Idempotent-Replayed: true`) "
        f"instead of booking again; with a different body it is a 422. Keys expire after {settings.IDEMPOTENCY_KEY_HOURS} hours."
    ),
)
REPLAYED_PARAM = OpenApiParameter(
    REPLAYED_HEADER, location=OpenApiParameter.HEADER, response=[200], description="`true` on a replay."
)


class BookingCreateView(Endpoint):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Book seats of a published event, or the seats of a hold (customers)",
        request=BookingInput,
        parameters=[IDEMPOTENCY_KEY_PARAM, REPLAYED_PARAM],
        responses={
            201: OpenApiResponse(BookingOutput, description="Booked: seats taken, price frozen."),
            200: OpenApiResponse(BookingOutput, description="Idempotency-Key replay: the original booking, nothing booked again."),
        },
        errors={
            400: "`validation_error`: a malformed body (`eventId` like EVT-0001, `qty` a whole number from 1 to "
            f"{settings.MAX_TICKETS_PER_BOOKING}, `ticketTypeId` like TT-0001, `holdId` like HLD-0001; `eventId` and "
            "`qty` unless `holdId`) or Idempotency-Key header; "
            "`ticket_type_required`: the event sells several ticket types and `ticketTypeId` is missing; "
            "`hold_mismatch`: `eventId`, `qty` or `ticketTypeId` given with `holdId` differ from the hold's.",
            403: "`permission_denied`: only customers book.",
            404: "`event_not_found` (also a draft's id: drafts do not leak), `ticket_type_not_found` (the event has no such ticket type), "
            "`hold_not_found` (no live hold of the caller's with this id: never made, someone else's, "
            "already booked, released, or expired and collected).",
            409: "`event_not_bookable` (cancelled; `status` says so), `event_started`, "
            "`ticket_type_not_on_sale` (outside its `sales_start`/`sales_end`), `over_ticket_type_maximum` "
            "(`max_per_booking` says the type's limit), "
            "`not_enough_seats` (`seats_available` says how many are left, of the type or of the event's "
            "overall quota, whichever is fewer; `ticket_type_id` names the type), `seats_owed_to_waitlist` "
            "(customers wait for this type: its free seats are offered to them first), `hold_expired` (the hold "
            "expired; its seats went back on sale), `idempotency_key_in_use` "
            "(a request with this key is still running: retry shortly), `event_busy`.",
            422: "`idempotency_key_reused`: this Idempotency-Key came with a different body.",
        },
    )
    def post(self, request):
        data = BookingInput.validated(request.data)
        booking, event, created = booking_create(
            customer=request.user,
            event_id=data.get("eventId"),
            qty=data.get("qty"),
            ticket_type_id=data.get("ticketTypeId"),
            hold_id=data.get("holdId"),
            idempotency_key=idempotency_key(request),
        )
        if created:
            return Response(booking_output(booking, event), status=status.HTTP_201_CREATED)
        return Response(booking_output(booking, event), headers={REPLAYED_HEADER: "true"})


class BookingListMineView(Endpoint):
    roles = {"GET": CUSTOMERS}
    permission_classes = [RolePermission]
    query = {"GET": BookingListInput}

    @api_doc(
        summary="The caller's bookings, newest first (customers)",
        operation_id="bookings_mine",
        parameters=[BookingListInput],
        responses={200: page_of(BookingOutput)},
        errors={400: "`validation_error`: a malformed `page`, `page_size` or `status`."},
    )
    def get(self, request):
        result = booking_list_mine(customer=request.user, **request.params)
        result["results"] = [booking_output(booking, event) for booking, event in result["results"]]
        return Response(result)


class BookingDetailView(Endpoint):
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary="One booking: for the customer who made it, the event's organizer, and staff",
        operation_id="bookings_retrieve",
        responses={200: BookingOutput},
        errors={404: "`booking_not_found` (also for a booking the caller may not see)."},
    )
    def get(self, request, booking_id):
        booking, event = booking_get_visible(booking_id=booking_id, user=request.user)
        return Response(booking_output(booking, event))


class BookingCancelView(Endpoint):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Cancel a booking before its event starts (the customer who made it)",
        operation_id="bookings_cancel",
        request=None,
        responses={200: BookingOutput},
        errors={
            403: "`permission_denied`: not a customer, or not the customer who made the booking.",
            404: "`booking_not_found`.",
            409: "`booking_already_cancelled`, `event_cancelled` (its bookings were cancelled with it), "
            "`event_started`, `booking_busy` (another request is changing it: retry shortly).",
        },
    )
    def post(self, request, booking_id):
        booking, event = booking_cancel(booking_id=booking_id, actor=request.user)
        return Response(booking_output(booking, event))


class HoldCreateView(Endpoint):
    roles = {"POST": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Hold seats for a while before booking them (customers)",
        operation_id="holds_create",
        request=HoldInput,
        responses={201: OpenApiResponse(HoldOutput, description="Held: the seats are off sale until `expires_at`.")},
        errors={
            400: "`validation_error` (as POST /bookings), `ticket_type_required`.",
            403: "`permission_denied`: only customers hold seats.",
            404: "`event_not_found` (a draft's id too), `ticket_type_not_found`.",
            409: "As POST /bookings: `event_not_bookable`, `event_started`, `ticket_type_not_on_sale`, "
            "`over_ticket_type_maximum`, `not_enough_seats`, `seats_owed_to_waitlist`, `event_busy`; and "
            "`hold_limit_reached` (the caller would hold more than `max_held_seats` seats of this event at once; "
            "`seats_held` says how many they hold).",
        },
    )
    def post(self, request):
        data = HoldInput(data=request.data)
        data.is_valid(raise_exception=True)
        hold, event = hold_create(
            customer=request.user,
            event_id=data.validated_data["eventId"],
            qty=data.validated_data["qty"],
            ticket_type_id=data.validated_data.get("ticketTypeId"),
        )
        return Response(hold_output(hold, event), status=status.HTTP_201_CREATED)


class HoldListMineView(Endpoint):
    roles = {"GET": CUSTOMERS}
    permission_classes = [RolePermission]
    query = {"GET": PageInput}

    @api_doc(
        summary="The caller's live holds, oldest first (customers)",
        operation_id="holds_mine",
        parameters=[PageInput],
        responses={200: page_of(HoldOutput)},
        errors={400: "`validation_error`: a malformed `page` or `page_size`, or an unknown parameter."},
    )
    def get(self, request):
        result = page_list(hold_list_mine(customer=request.user), **request.params)
        result["results"] = [hold_output(hold, event) for hold, event in result["results"]]
        return Response(result)


class HoldDetailView(Endpoint):
    roles = {"GET": CUSTOMERS, "DELETE": CUSTOMERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="One of the caller's holds (customers)",
        operation_id="holds_retrieve",
        responses={200: HoldOutput},
        errors={404: "`hold_not_found` (also for another customer's hold)."},
    )
    def get(self, request, hold_id):
        hold, event = hold_get(hold_id=hold_id, customer=request.user)
        return Response(hold_output(hold, event))

    @api_doc(
        summary="Give a hold's seats back (customers)",
        operation_id="holds_release",
        request=None,
        responses={204: OpenApiResponse(description="Released: the seats are on sale again.")},
        errors={
            404: "`hold_not_found` (also for another customer's hold, and for one already booked or released).",
            409: "`hold_is_waitlist_offer`: a waiting-list offer is declined by leaving the waiting list.",
        },
    )
    def delete(self, request, hold_id):
        hold_release(hold_id=hold_id, customer=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttendeeListView(Endpoint):
    """JSON pages, or the same rows as a CSV or XLSX file (`?format=` or `Accept`)."""

    query = {"GET": AttendeeListInput}
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]
    renderer_classes = [JSONRenderer, *EXPORT_RENDERERS]

    @api_doc(
        summary="An event's attendees: its bookings with their customers (the event's owner, staff)",
        operation_id="events_attendees",
        description="One row per booking, CONFIRMED by default (`status=CANCELLED` for the cancelled ones). "
        "`format=csv` or `format=xlsx` (or an `Accept` of `text/csv` or the XLSX media type) answers every "
        "matching row as a file, streamed; text cells that a spreadsheet would take for a formula are "
        "prefixed with `'` in CSV.",
        parameters=[AttendeeListInput],
        responses={
            (200, "application/json"): page_of(AttendeeOutput),
            (200, CSV_TYPE): OpenApiTypes.STR,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
        },
        errors={
            400: "`validation_error`: a malformed or unknown parameter, `format` other than json, csv or xlsx, or "
            "`page`/`page_size` with an export.",
            404: "`event_not_found`: no such event, or not the caller's (staff may read any).",
            406: "`not_acceptable`: an `Accept` header naming none of JSON, CSV or XLSX.",
        },
    )
    def get(self, request, event_id):
        params = request.params
        fmt = request.accepted_renderer.format
        filters = {"status": params["status"], "q": params.get("q"), "sort": params["sort"]}
        if fmt == "json":
            result = attendee_page(event_id=event_id, viewer=request.user, **filters,
                                   page=params["page"], page_size=params["page_size"])
            result["results"] = AttendeeOutput([attendee_row(*pair) for pair in result["results"]], many=True).data
            return Response(result)
        paged = sorted({"page", "page_size"} & set(request.query_params))
        if paged:
            raise ValidationError({name: ["An export holds every row: leave this out."] for name in paged})
        event = attendee_event(event_id=event_id, viewer=request.user)
        suffix = "" if params["status"] == "CONFIRMED" else "-" + params["status"].lower()
        return export_response(
            columns=ATTENDEE_COLUMNS,
            rows=(attendee_row(*pair) for pair in attendee_rows(event_id=event["_id"], **filters)),
            fmt=fmt,
            filename=f"{event['_id']}-{slugify(event['title'])[:60]}-attendees{suffix}".replace("--", "-"),
            sheet="Attendees",
        )

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except Http404:  # DRF's answer to an unknown ?format=
            raise ValidationError({"format": ["Give json, csv or xlsx."]}, code="invalid_choice")

    def finalize_response(self, request, response, *args, **kwargs):
        # Errors are JSON in the error shape, whatever format was asked for.
        if isinstance(response, Response) and getattr(request, "accepted_renderer", None) is not None:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
        return super().finalize_response(request, response, *args, **kwargs)
