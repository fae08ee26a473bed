"""Rate limits per client (ADR 0030): writes and reads counted apart, and the token endpoint by
the caller's address. Counters live in the shared cache (Redis in production), so every web
process counts the same calls. A refused call is a 429 with Retry-After."""

from rest_framework.throttling import SimpleRateThrottle

from marac.client_ip import client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class PartnerClientThrottle(SimpleRateThrottle):
    """`api_read` for GET, `api_write` for anything else, per client."""

    scope = "api_read"  # until allow_request sees the method

    def allow_request(self, request, view):
        self.scope = "api_read" if request.method in SAFE_METHODS else "api_write"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        client = getattr(request._request, "partner_client", None)
        if client is None:
            return None  # not authenticated: the 401 comes before any counting
        return self.cache_format % {"scope": self.scope, "ident": client.pk}


class TokenEndpointThrottle(SimpleRateThrottle):
    """The token endpoint, by the caller's address (the proxy-aware one sign-in uses): a guesser
    of client secrets is slowed down however many client ids they try."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request._request)}
