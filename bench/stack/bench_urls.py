"""The tree's own URLconf plus GET /bench/constant: a DRF APIView that returns a
small constant JSON through the same middleware, with no authentication, database
or cache: the framework's ceiling on this stack."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from eventbooking import urls

handler400, handler403 = urls.handler400, urls.handler403
handler404, handler500 = urls.handler404, urls.handler500

BODY = {"status": "ok", "items": [1, 2, 3], "name": "constant"}


class ConstantView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def get(self, request):
        return Response(BODY)


urlpatterns = [path("bench/constant", ConstantView.as_view()), *urls.urlpatterns]
