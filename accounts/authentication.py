"""Which user a JWT names, and the claims a validly signed token must still get right.

A token signed with our key is not enough: its claims come from whoever held the
key (a leaked or development key) or from an older release. A claim of the wrong
shape is the client's 401, never a database error's 500. HTTP (settings), the
refresh endpoint and the real-time endpoints all check tokens here.

The user is read on every request, so a deactivated or deleted account is refused
at its next request, with one PyMongo find_one on `users` rather than the ORM
(an aggregate pipeline plus model machinery, 15% of a booking's CPU). The User
built from it is the ORM's own class, so everything request.user offers works.
"""

import base64

from bson import ObjectId
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import AUTH_HEADER_TYPE_BYTES, JWTAuthentication
from rest_framework_simplejwt.exceptions import (
    AuthenticationFailed,
    ExpiredTokenError,
    InvalidToken,
    TokenBackendError,
    TokenError,
)
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import Role, User
from shared.jsonbody import check_depth
from shared.mongo import collection

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


def token_expired(what, then):
    """401 `token_expired`: a genuine token past its `exp` (PyJWT checks the signature
    first, so a forged one is `token_not_valid`). The client refreshes, or logs in again."""
    return InvalidToken(f"The {what} token has expired: {then}.", code="token_expired")


class TokenAuthentication(JWTAuthentication):
    """simplejwt's authentication, refusing claims of the wrong shape with a 401, and
    saying what is wrong where simplejwt does not: an expired token (`token_expired`,
    as the real-time endpoints say), a header without the Bearer scheme."""

    def get_raw_token(self, header):
        parts = header.split()
        if parts and parts[0] not in AUTH_HEADER_TYPE_BYTES:
            # simplejwt ignores such a header: a client sending its bare token would be
            # told "no credentials", or served as anonymous on a public route.
            raise AuthenticationFailed(
                'Send the access token as "Authorization: Bearer <token>".', code="bad_authorization_header"
            )
        return super().get_raw_token(header)

    def get_validated_token(self, raw_token):
        for token_class in api_settings.AUTH_TOKEN_CLASSES:
            try:
                return token_class(raw_token)
            except ExpiredTokenError:
                raise token_expired("access", "refresh it (POST /token/refresh)") from None
            except TokenError:
                pass
        return super().get_validated_token(raw_token)

    def get_user(self, validated_token):
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if not (isinstance(user_id, str) and ObjectId.is_valid(user_id)):
            raise InvalidToken("The token does not name a user.")
        # Tokens from user_issue_tokens carry the role; one without it names the user alone.
        has_role = "role" in validated_token
        role = validated_token.get("role")
        if has_role and not (isinstance(role, str) and role in Role.values):
            raise InvalidToken("The token's role is not a role.")
        user = user_by_id(user_id)
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        if has_role and role != user.role:
            raise InvalidToken("The token's role is no longer the user's: log in again.")
        return user


USER_COLUMNS = [(field.column, field.attname) for field in User._meta.concrete_fields]


def user_by_id(user_id):
    """The active user `user_id` (a valid ObjectId string) names, as simplejwt refuses
    others: 401 user_not_found, 401 user_inactive (CHECK_USER_IS_ACTIVE)."""
    doc = collection("users").find_one({"_id": ObjectId(user_id)})
    if doc is None:
        raise AuthenticationFailed(_("User not found"), code="user_not_found")
    present = [(column, attname) for column, attname in USER_COLUMNS if column in doc]
    user = User.from_db("default", [attname for _, attname in present], [doc[column] for column, _ in present])
    if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
        raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
    return user


class RefreshInput(TokenRefreshSerializer):
    """POST /token/refresh: the refresh token's claims pass the same checks as an access token's."""

    token_class = CheckedRefreshToken

    def validate(self, attrs):
        try:
            refresh = self.token_class(attrs["refresh"])
        except ExpiredTokenError:
            raise token_expired("refresh", "log in again (POST /login)") from None
        except TokenError as exc:
            raise InvalidToken(str(exc)) from None
        TokenAuthentication().get_user(refresh)
        return super().validate(attrs)
