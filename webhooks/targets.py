"""Where a webhook may be sent: https on a public address, by default.

Checked when an endpoint is saved (the scheme, a literal address or `localhost`) and
again before every delivery, on every address its name resolves to: a name that
resolves to a loopback, private, link-local, multicast or reserved address is
refused. The request then goes to the address that was checked (the Host header and
TLS server name stay the URL's), so a second DNS answer cannot point it elsewhere;
redirects are never followed. WEBHOOK_ALLOW_PRIVATE lifts both rules (http and
private addresses) for development and tests.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from shared.errors import DomainError


class TargetRefused(DomainError):
    status_code = 400
    code = "webhook_url_refused"
    field = "url"


def refused_address(address):
    """Why `address` (an ip_address) is not a public one, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for name in ("loopback", "private", "link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{name}"):
            return name.replace("_", "-")
    if not address.is_global:
        return "not-global"
    return None


def url_check(url):
    """The URL's parts if it may be saved; TargetRefused otherwise."""
    parts = urlsplit(url)
    allowed = ("http", "https") if settings.WEBHOOK_ALLOW_PRIVATE else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused("The URL must start with https://.")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise TargetRefused("The URL's port is not valid.") from None
    if not host:
        raise TargetRefused("The URL has no host.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        if host == "localhost" or host.endswith(".localhost"):
            raise TargetRefused("The URL must point to a public address, not localhost.")
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None and refused_address(literal):
            raise TargetRefused(f"The URL must point to a public address, not a {refused_address(literal)} one.")
    return parts, host, port


def resolve(url):
    """(parts, host, the address to connect to) for a delivery; TargetRefused when the
    name does not resolve or resolves to an address that is not allowed."""
    parts, host, port = url_check(url)
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise TargetRefused(f"{host} does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            why = refused_address(address)
            if why:
                raise TargetRefused(f"{host} resolves to a {why} address ({address}).")
    return parts, host, port, addresses[0]
