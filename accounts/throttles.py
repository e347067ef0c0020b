import hashlib

from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email


class LoginEmailThrottle(SimpleRateThrottle):
    """Guesses against one account, from however many addresses."""

    scope = "login_email"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, dict) else {}
        email = data.get("email")
        if not isinstance(email, str) or not email.strip():
            return None
        ident = hashlib.sha256(normalize_email(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginAddressThrottle(SimpleRateThrottle):
    """Guesses from one address, against however many accounts."""

    scope = "login_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
