"""Request bodies: JSON only, and never more than API_MAX_BODY_BYTES read (ADR 0030)."""

from django.conf import settings
from rest_framework import exceptions, parsers, status


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large"
    default_code = "too_large"


def _limited(stream, limit: int) -> bytes:
    body = stream.read(limit + 1) if stream is not None else b""
    if len(body) > limit:
        raise BodyTooLarge(f"The request body must be {limit} bytes or fewer")
    return body


class LimitedJSONParser(parsers.JSONParser):
    """Reads at most the limit (a huge body is refused, not parsed), and says what is wrong in a
    sentence without echoing any of the body."""

    def parse(self, stream, media_type=None, parser_context=None):
        import io
        import json

        body = _limited(stream, settings.MARAC_API_MAX_BODY_BYTES)
        try:
            return json.load(io.BytesIO(body), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise exceptions.ParseError("The request body is not valid JSON") from None


def _refuse_constant(name: str):
    raise ValueError("NaN and Infinity are not JSON")


class LimitedFormParser(parsers.FormParser):
    """The token endpoint's form body (RFC 6749), within the same limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        from django.http import QueryDict

        body = _limited(stream, settings.MARAC_API_MAX_BODY_BYTES)
        try:
            return QueryDict(body.decode("utf-8"), encoding="utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError("The request body is not valid form data") from None
