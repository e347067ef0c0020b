"""Who may listen: the token a real-time connection brings (either transport), its
`last_id`, its Origin, and the refusal it gets otherwise (a stable code, a message
for people, and the WebSocket close code)."""

import logging
from urllib.parse import urlsplit

from channels.db import database_sync_to_async
from django.conf import settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import ExpiredTokenError, TokenError

from accounts.authentication import CheckedAccessToken, TokenAuthentication

log = logging.getLogger(__name__)

# WebSocket close codes (4000-4999 are the application's). Socket.io clients get
# the same `code` strings in connect_error's data.
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_MESSAGE = 4400
CLOSE_SERVER_ERROR = 1011
MAX_TOKEN_LENGTH = 4096


class Refused(Exception):
    """A connection that may not listen; `code` is stable, `message` is for people."""

    def __init__(self, code, message, close_code=CLOSE_UNAUTHORIZED):
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code

    def as_dict(self):
        return {"code": self.code, "message": self.message}



def last_id_of(value):
    """The `last_id` a client sends, as an int; None when absent; Refused when malformed."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**18:
        raise Refused("bad_last_id", "last_id must be the id of a notice (a whole number) or absent.", CLOSE_BAD_MESSAGE)
    return value


def realtime_authenticate(token):
    """The active user a JWT access token (from POST /login) belongs to, or Refused."""
    if not token:
        raise Refused("token_missing", "Send a JWT access token (from POST /login) to connect.")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise Refused("token_invalid", "The token is not a valid access token.")
    try:
        validated = CheckedAccessToken(token)
    except ExpiredTokenError:
        raise Refused("token_expired", "The access token has expired: refresh it and connect again.") from None
    except TokenError:
        raise Refused("token_invalid", "The token is not a valid access token.") from None
    try:
        return TokenAuthentication().get_user(validated)
    except AuthenticationFailed as exc:
        # simplejwt puts its code in a detail dict: {"detail": ..., "code": "user_inactive"}
        if isinstance(exc.detail, dict) and exc.detail.get("code") == "user_inactive":
            raise Refused("user_inactive", "This account is disabled.", CLOSE_FORBIDDEN) from None
        raise Refused("token_invalid", "The token's user does not exist.") from None


async def connection_user(token):
    """realtime_authenticate for a connection being opened; anything unexpected
    (the database down) refuses it too, with a code that says to retry."""
    try:
        return await database_sync_to_async(realtime_authenticate)(token)
    except Refused:
        raise
    except Exception:
        log.exception("could not check a real-time connection's token")
        raise Refused("server_error", "The token could not be checked; try again shortly.", CLOSE_SERVER_ERROR) from None


def origin_allowed(origin, host):
    """Browsers send Origin: allow the API's own origin and CORS_ALLOWED_ORIGINS.

    No Origin (non-browser clients) is allowed: the token, not a cookie,
    authenticates, so another site's page cannot listen as our user anyway."""
    if not origin or settings.CORS_ALLOW_ALL_ORIGINS or origin in settings.CORS_ALLOWED_ORIGINS:
        return True
    return urlsplit(origin).netloc == host
