"""Every error as JSON problem details (RFC 9457): a title, the status, a sentence saying what is
wrong and, for bad input, which field and why. Never a stack trace, never a value that was sent
(the messages are fixed sentences), never a 500 for bad input (ADR 0030)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from marac.refusals import Forbidden, NotFound

PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
}


class Unprocessable(exceptions.APIException):
    """Well-formed input the service cannot act on (a referral meeting no criterion, a reused
    idempotency key): 422 with the service's own sentence."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request cannot be processed"
    default_code = "unprocessable"


class Conflict(exceptions.APIException):
    """Another request with the same Idempotency-Key is still being made: retry shortly."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "A request with this Idempotency-Key is in progress; retry shortly"
    default_code = "conflict"


def _messages(detail) -> object:
    """DRF's error detail as plain strings (lists and dicts kept)."""
    if isinstance(detail, dict):
        return {str(key): _messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_messages(item) for item in detail]
    return str(detail)


def _converted(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):  # a service naming the field: reported as a field's error
            return exceptions.ValidationError({name: list(messages) for name, messages in exc.message_dict.items()})
        return Unprocessable(" ".join(exc.messages))
    if isinstance(exc, Http404 | NotFound):
        return exceptions.NotFound("Not found")
    if isinstance(exc, PermissionDenied | Forbidden):
        return exceptions.PermissionDenied("This client may not do this")
    return exc


def problem_details(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: anything DRF knows as a problem+json response; anything else
    stays an error for Django (a defect to fix, shown as the plain 500 page, never a trace)."""
    exc = _converted(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None
    code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
    body: dict[str, object] = {"type": "about:blank", "title": TITLES.get(code, "Error"), "status": code}
    if isinstance(exc, exceptions.ValidationError):
        body["detail"] = "The request has errors: see `errors`"
        body["errors"] = _messages(exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail})
    else:
        body["detail"] = str(getattr(exc, "detail", "")) or TITLES.get(code, "Error")
    headers = {name: value for name, value in response.items() if name in ("WWW-Authenticate", "Retry-After", "Allow")}
    return Response(body, status=code, headers=headers, content_type=PROBLEM_JSON)
