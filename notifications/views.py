from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from accounts.permissions import AUTHENTICATED, RolePermission
from shared.endpoint import Endpoint
from shared.schema import api_doc
from notifications.log import notice_message
from notifications.selectors import notice_list
from notifications.serializers import NoticeGapOutput, NoticeListInput, NoticeOutput

NoticePage = inline_serializer(
    name="NoticePage",
    fields={
        "count": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "page_size": serializers.IntegerField(),
        "pages": serializers.IntegerField(),
        "next": serializers.IntegerField(allow_null=True),
        "previous": serializers.IntegerField(allow_null=True),
        "results": NoticeOutput(many=True),
        "gap": NoticeGapOutput(allow_null=True, help_text="Set when notices after `after` expired before being read."),
    },
)


class NoticeListView(Endpoint):
    query = {"GET": NoticeListInput}
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(
        summary="The caller's notices after an id, oldest first (for clients that poll or resume)",
        operation_id="notices_list",
        parameters=[NoticeListInput],
        responses={200: NoticePage},
        errors={400: "`validation_error`: a malformed `after`, `page` or `page_size`."},
    )
    def get(self, request):
        result = notice_list(user=request.user, **request.params)
        result["results"] = [notice_message(doc) for doc in result["results"]]
        return Response(result)
