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


def _from_trusted_proxy(remote_addr: str) -> bool:
    try:
        address = ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in settings.MARAC_TRUSTED_PROXY_NETWORKS)


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
    return forwarded[-proxies]
