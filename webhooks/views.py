from rest_framework import status
from rest_framework.response import Response

from accounts.permissions import ORGANIZERS, RolePermission
from shared.endpoint import Endpoint
from shared.schema import api_doc, page_of
from webhooks import selectors, services
from webhooks.serializers import (
    DeliveryOutput,
    WebhookInput,
    WebhookListInput,
    WebhookOutput,
    WebhookUpdateInput,
    WebhookWithSecretOutput,
)

NOT_FOUND = {404: "`webhook_not_found`: no webhook of the caller's with this id."}
BAD_URL = "`validation_error`: a malformed body; `webhook_url_refused`: not https, or not a public address."


def valid(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class WebhookListView(Endpoint):
    query = {"GET": WebhookListInput}
    roles = {"GET": ORGANIZERS, "POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Add a webhook: signed POSTs of the caller's notices (organizers); the secret is shown once",
        operation_id="webhooks_create",
        request=WebhookInput,
        responses={201: WebhookWithSecretOutput},
        errors={400: BAD_URL, 403: "`permission_denied`: organizers only.", 409: "`too_many_webhooks`."},
    )
    def post(self, request):
        doc = services.webhook_create(organizer=request.user, **valid(WebhookInput, request.data))
        return Response(WebhookWithSecretOutput(doc).data, status=status.HTTP_201_CREATED)

    @api_doc(
        summary="The caller's webhooks (organizers)",
        operation_id="webhooks_list",
        parameters=[WebhookListInput],
        responses={200: page_of(WebhookOutput)},
        errors={400: "`validation_error`: a malformed `page` or `page_size`."},
    )
    def get(self, request):
        result = selectors.webhook_list(organizer=request.user, **request.params)
        result["results"] = WebhookOutput(result["results"], many=True).data
        return Response(result)


class WebhookDetailView(Endpoint):
    roles = {"GET": ORGANIZERS, "PATCH": ORGANIZERS, "DELETE": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(summary="One of the caller's webhooks", operation_id="webhooks_get", responses={200: WebhookOutput}, errors=NOT_FOUND)
    def get(self, request, webhook_id):
        return Response(WebhookOutput(services.webhook_get(organizer=request.user, webhook_id=webhook_id)).data)

    @api_doc(
        summary="Change a webhook's URL or events, or switch it off or on",
        operation_id="webhooks_update",
        request=WebhookUpdateInput,
        responses={200: WebhookOutput},
        errors={400: BAD_URL, **NOT_FOUND},
    )
    def patch(self, request, webhook_id):
        changes = valid(WebhookUpdateInput, request.data)
        doc = services.webhook_update(organizer=request.user, webhook_id=webhook_id, **changes)
        return Response(WebhookOutput(doc).data)

    @api_doc(summary="Delete a webhook and its deliveries", operation_id="webhooks_delete", responses={204: None}, errors=NOT_FOUND)
    def delete(self, request, webhook_id):
        services.webhook_delete(organizer=request.user, webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(Endpoint):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="A new signing secret for a webhook, shown once; the old one stops at once",
        operation_id="webhooks_rotate_secret",
        request=None,
        responses={200: WebhookWithSecretOutput},
        errors=NOT_FOUND,
    )
    def post(self, request, webhook_id):
        return Response(WebhookWithSecretOutput(services.webhook_rotate_secret(organizer=request.user, webhook_id=webhook_id)).data)


class DeliveryListView(Endpoint):
    query = {"GET": WebhookListInput}
    roles = {"GET": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="A webhook's deliveries, newest first: status, attempts, last response code and time",
        operation_id="webhooks_deliveries",
        parameters=[WebhookListInput],
        responses={200: page_of(DeliveryOutput)},
        errors={400: "`validation_error`: a malformed `page` or `page_size`.", **NOT_FOUND},
    )
    def get(self, request, webhook_id):
        page = request.params
        result = selectors.delivery_list(organizer=request.user, webhook_id=webhook_id, **page)
        result["results"] = DeliveryOutput(result["results"], many=True).data
        return Response(result)


class RedeliverView(Endpoint):
    roles = {"POST": ORGANIZERS}
    permission_classes = [RolePermission]

    @api_doc(
        summary="Send a delivery again (same id), by the worker, shortly",
        operation_id="webhooks_redeliver",
        request=None,
        responses={202: DeliveryOutput},
        errors={404: "`webhook_not_found`, `delivery_not_found`."},
    )
    def post(self, request, webhook_id, delivery_id):
        doc = services.delivery_redeliver(organizer=request.user, webhook_id=webhook_id, delivery_id=delivery_id)
        return Response(DeliveryOutput(doc).data, status=status.HTTP_202_ACCEPTED)
