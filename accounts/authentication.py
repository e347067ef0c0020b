"""Which user a JWT names, and the claims a validly signed token must still get right.

A token signed with our key is not enough: its claims come from whoever held the
key (a leaked or development key) or from an older release. A claim of the wrong
shape is the client's 401, never a database error's 500. HTTP (settings), the
refresh endpoint and the real-time endpoints all check tokens here.
"""

import base64

from bson import ObjectId
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenBackendError, TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Role
from eventbooking.jsonbody import check_depth

# PyJWT parses a token's header before it checks the signature, with a recursive parser.
MAX_HEADER_DEPTH = 4


class CheckedTokenBackend:
    """simplejwt's token backend, behind a check of the unsigned header's nesting."""

    def __getattr__(self, name):
        return getattr(token_backend, name)

    def decode(self, token, verify=True):
        header = (token.decode("latin-1") if isinstance(token, bytes) else str(token)).split(".", 1)[0]
        try:
            check_depth(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)).decode("utf-8"), MAX_HEADER_DEPTH)
        except ValueError:  # undecodable, or nested too deep
            raise TokenBackendError("Token is invalid") from None
        return token_backend.decode(token, verify)


class CheckedAccessToken(AccessToken):
    _token_backend = CheckedTokenBackend()


class CheckedRefreshToken(RefreshToken):
    _token_backend = CheckedTokenBackend()


class TokenAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing claims of the wrong shape with a 401."""

    def get_user(self, validated_token):
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if not (isinstance(user_id, str) and ObjectId.is_valid(user_id)):
            raise InvalidToken("The token does not name a user.")
        # Tokens from user_issue_tokens carry the role; one without it names the user alone.
        has_role = "role" in validated_token
        role = validated_token.get("role")
        if has_role and not (isinstance(role, str) and role in Role.values):
            raise InvalidToken("The token's role is not a role.")
        user = super().get_user(validated_token)
        if has_role and role != user.role:
            raise InvalidToken("The token's role is no longer the user's: log in again.")
        return user


class RefreshInput(TokenRefreshSerializer):
    """POST /token/refresh: the refresh token's claims pass the same checks as an access token's."""

    token_class = CheckedRefreshToken

    def validate(self, attrs):
        try:
            refresh = self.token_class(attrs["refresh"])
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
        TokenAuthentication().get_user(refresh)
        return super().validate(attrs)
