from rest_framework.response import Response

from accounts.permissions import ORGANIZERS, RolePermission
from analytics.selectors import organizer_analytics
from analytics.serializers import OrganizerAnalyticsOutput
from eventbooking.schema import api_doc
from eventbooking.endpoint import Endpoint


class OrganizerAnalyticsView(Endpoint):
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="The caller's sales figures (organizers)", operation_id="analytics_mine", responses={200: OrganizerAnalyticsOutput})
    def get(self, request):
        return Response(OrganizerAnalyticsOutput(organizer_analytics(organizer=request.user)).data)
