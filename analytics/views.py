from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ORGANIZERS, RolePermission
from analytics.selectors import organizer_analytics
from analytics.serializers import OrganizerAnalyticsOutput


class OrganizerAnalyticsView(APIView):
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    def get(self, request):
        return Response(OrganizerAnalyticsOutput(organizer_analytics(organizer=request.user)).data)
