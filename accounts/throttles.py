"""Login and registration throttles.

Login: guesses are limited per client address (all accounts) and per account from
one address, so a stranger guessing someone's password is slowed without locking
the owner out: the owner's own address has its own count. Guesses spread over many
addresses meet a per-account ceiling on wrong passwords, which does not apply to an
address the account has logged in from before.

Registration: per address, counted once the input is valid (what costs a password hash).

Counts live in Redis, shared by every process, and in each process's memory too
(shared.redisguard.MemoryBackedCache): while Redis is down or stalled each
process goes on counting alone, so brute force stays bounded (at most the rate per
process) and an outage locks no one out.
"""

import hashlib

from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import normalize_email
from shared.redisguard import memory_backed_cache

KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600


def _email_ident(request):
    data = request.data if isinstance(request.data, dict) else {}
    email = data.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    return hashlib.sha256(normalize_email(email).encode()).hexdigest()


class Throttle(SimpleRateThrottle):
    cache = memory_backed_cache


class LoginAddressThrottle(Throttle):
    """Guesses from one address, against however many accounts."""

    scope = "login_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginEmailAddressThrottle(Throttle):
    """Guesses against one account from one address."""

    scope = "login_email_address"

    def get_cache_key(self, request, view):
        email = _email_ident(request)
        if email is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": f"{email}:{self.get_ident(request)}"}


class LoginEmailFailuresThrottle(Throttle):
    """Wrong passwords against one account from all addresses together. Counted by
    `login_failed`, not per attempt; an address the account logged in from passes."""

    scope = "login_email_failures"

    def get_cache_key(self, request, view):
        email = _email_ident(request)
        return None if email is None else self.cache_format % {"scope": self.scope, "ident": email}

    def allow_request(self, request, view):
        self.key = None if self.rate is None else self.get_cache_key(request, view)
        if self.key is None or _address_known(request, self.get_ident(request)):
            return True
        self.now = self.timer()
        self.history = [moment for moment in self.cache.get(self.key, []) if moment > self.now - self.duration]
        return self.throttle_failure() if len(self.history) >= self.num_requests else True


def _known_key(request, address):
    return f"throttle_login_known_{_email_ident(request)}:{address}"


def _address_known(request, address):
    return memory_backed_cache.get(_known_key(request, address)) is not None


def login_failed(*, request, view):
    throttle = LoginEmailFailuresThrottle()
    key = throttle.get_cache_key(request, view)
    if key is None or throttle.rate is None:
        return
    now = throttle.timer()
    history = [moment for moment in throttle.cache.get(key, []) if moment > now - throttle.duration]
    throttle.cache.set(key, [now, *history], throttle.duration)


def login_succeeded(*, request, view):
    address = LoginEmailFailuresThrottle().get_ident(request)
    memory_backed_cache.set(_known_key(request, address), 1, KNOWN_ADDRESS_SECONDS)


class RegisterAddressThrottle(Throttle):
    """Registrations from one address (each costs an Argon2 hash)."""

    scope = "register_address"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def register_throttle_check(*, request, view):
    throttle = RegisterAddressThrottle()
    if not throttle.allow_request(request, view):
        raise Throttled(wait=throttle.wait())
