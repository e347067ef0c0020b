from rest_framework.response import Response

from accounts.permissions import ORGANIZERS, RolePermission
from analytics.selectors import SALES_MAX_BUCKETS, organizer_analytics, sales_series
from analytics.serializers import OrganizerAnalyticsOutput, SalesInput, SalesSeriesOutput
from shared.schema import api_doc
from shared.endpoint import Endpoint


class OrganizerAnalyticsView(Endpoint):
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="The caller's sales figures (organizers)", operation_id="analytics_mine", responses={200: OrganizerAnalyticsOutput},
             errors={400: "`validation_error`: this endpoint takes no query parameters (`fields` names the ones given)."})
    def get(self, request):
        return Response(OrganizerAnalyticsOutput(organizer_analytics(organizer=request.user)).data)


class SalesSeriesView(Endpoint):
    query = {"GET": SalesInput}
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="The caller's confirmed sales over time, per hour, day or week (organizers)",
        operation_id="analytics_sales",
        description="Tickets and revenue of confirmed bookings, by the time they were booked, grouped in the "
        f"database in the time zone `tz`. Every bucket is present, empty ones with zeros; at most {SALES_MAX_BUCKETS} "
        "buckets per series.",
        parameters=[SalesInput],
        responses={200: SalesSeriesOutput},
        errors={
            400: "`validation_error`: a malformed, repeated or unknown "
            f"parameter; `too_many_buckets`: more than {SALES_MAX_BUCKETS} buckets (`max_buckets`).",
            404: "`event_not_found`, `ticket_type_not_found`: not one of the caller's.",
        },
    )
    def get(self, request):
        data = request.params
        return Response(SalesSeriesOutput(sales_series(
            organizer=request.user, interval=data["interval"], start=data["from"], end=data["to"], zone=data["tz"],
            event_id=data.get("event"), ticket_type_id=data.get("ticket_type"),
        )).data)
