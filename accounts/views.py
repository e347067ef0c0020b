from django.contrib.auth import authenticate
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.views import TokenRefreshView

from accounts.permissions import AUTHENTICATED, RolePermission
from accounts.serializers import LoginInput, RegisterInput, TokensOutput, UserOutput
from accounts.services import user_issue_tokens, user_register
from accounts.throttles import (
    LoginAddressThrottle,
    LoginEmailAddressThrottle,
    LoginEmailFailuresThrottle,
    login_failed,
    login_succeeded,
    register_throttle_check,
)
from shared.schema import api_doc
from shared.endpoint import Endpoint, StrictQuery


class InvalidCredentials(AuthenticationFailed):
    default_detail = "Invalid email or password."
    default_code = "invalid_credentials"


class PublicEndpoint:
    """Takes no token; a 401 it raises still names the Bearer scheme."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class RegisterView(PublicEndpoint, Endpoint):

    @api_doc(summary="Register an organizer or a customer", request=RegisterInput, responses={201: UserOutput}, errors=(400, 409, 429), public=True)
    def post(self, request):
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        register_throttle_check(request=request, view=self)
        user = user_register(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class LoginView(PublicEndpoint, Endpoint):
    throttle_classes = [LoginAddressThrottle, LoginEmailAddressThrottle, LoginEmailFailuresThrottle]

    @api_doc(summary="Log in: access and refresh tokens", request=LoginInput, responses={200: TokensOutput}, errors=(400, 401, 429), public=True)
    def post(self, request):
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            login_failed(request=request, view=self)
            # One message for unknown email and wrong password: no account probing.
            raise InvalidCredentials()
        login_succeeded(request=request, view=self)
        return Response(TokensOutput({**user_issue_tokens(user=user), "user": user}).data)


class RefreshView(PublicEndpoint, StrictQuery, TokenRefreshView):
    @api_doc(summary="A new access token from a refresh token", request=TokenRefreshSerializer, responses={200: TokenRefreshSerializer}, errors=(400, 401), public=True)
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MeView(Endpoint):
    roles = {"GET": AUTHENTICATED}
    permission_classes = [RolePermission]

    @api_doc(summary="The authenticated user", responses={200: UserOutput})
    def get(self, request):
        return Response(UserOutput(request.user).data)
