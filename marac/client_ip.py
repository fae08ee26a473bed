"""The client's address as the app should believe it.

Behind N reverse proxies that each append to X-Forwarded-For, the client is the N-th entry from
the right: entries further left are whatever the client sent and cannot be trusted. So rotating
a forged X-Forwarded-For changes nothing here, and lockout by address holds (django-axes uses
this function). The header is believed only on requests that come from a configured proxy
address, so a client who reaches the app directly cannot forge it either. With no proxies
configured the header is ignored entirely.
"""

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def _parsed(text: str):
    """The address, with an IPv4 address seen over IPv6 (::ffff:10.0.0.1) as plain IPv4; None if
    it is not a plain address."""
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if address.version == 4:
        return address
    # A zone ("fe80::1%eth0") can be any length of text: not an address to log or lock out by.
    return None if address.scope_id else address.ipv4_mapped or address


def _from_trusted_proxy(remote_addr: str) -> bool:
    address = _parsed(remote_addr)
    return address is not None and any(address in network for network in settings.MARAC_TRUSTED_PROXY_NETWORKS)


def client_ip(request: HttpRequest) -> str:
    remote_addr = request.META.get("REMOTE_ADDR", "")
    proxies = settings.MARAC_TRUSTED_PROXY_COUNT
    if proxies == 0 or not _from_trusted_proxy(remote_addr):
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        # Fewer hops than configured proxies: the request bypassed them. Trust only the socket.
        return remote_addr
    # Not an address (a proxy adding a port, say): the socket's, rather than text that would
    # break lockout's address column or land in the access log.
    address = _parsed(forwarded[-proxies])
    return str(address) if address is not None else remote_addr
