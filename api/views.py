"""The partner API's endpoints (ADR 0030, docs/partner-api.md).

Every view here is off (404) while no partner client is active, authenticates only a bearer
token of an active client, fetches through api.access, reads every policy field through
RedactedView and logs what it revealed, and writes one access event per call.
"""

import hashlib
import json
import re

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_backends import get_oauthlib_core
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import audit
from api import access
from api.authentication import partner_client_of
from api.clients import api_is_on
from api.errors import PROBLEM_JSON, Conflict, Unprocessable
from api.parsers import LimitedFormParser
from api.serializers import (
    ActionOut,
    ActionPageOut,
    ActionUpdateIn,
    OAuthErrorOut,
    ReferralIn,
    ReferralOut,
    ReferralPageOut,
    SubmittedOut,
    TokenOut,
)
from api.services import (
    KeyInFlight,
    KeyReused,
    body_digests,
    idempotency_replay,
    partner_action_update,
    partner_referral_submit,
    response_digest,
    submission_body,
)
from api.throttling import TokenEndpointThrottle
from marac.refusals import Forbidden, NotFound, refuse
from marac.security.policy import RedactedView, Withheld, writable_fields
from referrals.case_page import assessment_fact

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Chosen by the client, unique per submission (a UUID, say); a retry with the same key and body returns the first response.",
    pattern=r"^[!-~]{1,100}$",
)
PAGE = OpenApiParameter(
    "page",
    {"type": "integer", "minimum": 1, "maximum": 999999999},
    OpenApiParameter.QUERY,
    required=False,
    description="The page, from 1 (404 past the last).",
)
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")


class Paged(PageNumberPagination):
    page_size = 50

    def get_page_number(self, request, paginator):
        """A whole number from 1, or the first page if none is given: DRF would also take "last"
        and quietly serve page 1 for anything else."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not PAGE_NUMBER.fullmatch(raw):
            raise exceptions.ValidationError({"page": ["Give a whole number from 1"]})
        return int(raw)


class PartnerAPIView(APIView):
    """Off while no client is active; one access event per call, besides the refusals that
    marac.refusals already logged and the case reads the view logs."""

    def initial(self, request, *args, **kwargs):
        if not api_is_on():
            request._request.api_off = True
            raise exceptions.NotFound("Not found")
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, Forbidden | NotFound):
            self.request._request.api_refusal_logged = True  # refuse() wrote its denied event
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        django_request = request._request
        if not getattr(django_request, "api_off", False) and not getattr(django_request, "api_refusal_logged", False):
            client = getattr(django_request, "partner_client", None)
            match = django_request.resolver_match
            audit.record(
                event="api_call",
                user=client.service_user if client else None,
                request=django_request,
                purpose=f"{request.method} {match.view_name if match else django_request.path_info[:60]} {response.status_code}",
                outcome="allowed" if response.status_code < 400 else "denied",
            )
        return response


def _client(request):
    return partner_client_of(request)


def _decision(referral, view: RedactedView) -> dict | None:
    if referral.decided_at is None:
        return None
    reason = view.decision_reason
    withheld = isinstance(reason, Withheld)
    return {
        "status": referral.status,
        "decided_at": referral.decided_at,
        "reason": None if withheld else (reason or ""),
        "reason_withheld": withheld,
    }


def _referral_row(partner_referral) -> dict:
    referral = partner_referral.referral
    return {
        "id": partner_referral.uuid,
        "case_reference": referral.case.reference,
        "area": referral.case.area.short_code,
        "status": referral.status,
        "submitted_on": referral.submitted_on,
        "decided_at": referral.decided_at,
    }


class ReferralsView(PartnerAPIView):
    @extend_schema(
        operation_id="referrals_list",
        summary="The referrals this client submitted, newest first",
        parameters=[PAGE],
        responses={200: ReferralPageOut},
    )
    def get(self, request):
        client = _client(request)
        paginator = Paged()
        page = paginator.paginate_queryset(access.partner_referrals(request.viewer, client).order_by("-created_at", "-pk"), request, self)
        rows = [_referral_row(pr) for pr in page or []]
        audit.record_case_reads(
            request=request, reads={r["case_reference"]: {"referral.status"} for r in rows}, purpose="partner API: referrals"
        )
        return paginator.get_paginated_response(ReferralPageOut().fields["results"].to_representation(rows))

    @extend_schema(
        operation_id="referrals_submit",
        summary="Submit a referral with its risk checklist",
        request=ReferralIn,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: SubmittedOut, 200: OpenApiResponse(SubmittedOut, description="A retry: the first response again")},
    )
    def post(self, request):
        client = _client(request)
        key = _idempotency_key(request)
        digests = body_digests(request.data)
        replayed = _replay(request, client, key, digests)
        if replayed is not None:
            return replayed
        incoming = ReferralIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            made, body = partner_referral_submit(
                client=client, viewer=request.viewer, data=incoming.validated_data, key=key, digest=digests[0]
            )
        except KeyInFlight:
            return _replay(request, client, key, digests) or _conflict()
        _submission_read(request, body, made.referral)
        return Response(SubmittedOut(body).data, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


def _idempotency_key(request) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not key:
        raise exceptions.ValidationError({"Idempotency-Key": ["This header is required"]})
    if len(key) > 100 or not all("!" <= ch <= "~" for ch in key):
        raise exceptions.ValidationError({"Idempotency-Key": ["Use 1 to 100 visible ASCII characters"]})
    return key


def _replay(request, client, key: str, digests: list[str]) -> Response | None:
    try:
        found = idempotency_replay(client=client, key=key, digests=digests)
    except KeyReused:
        raise Unprocessable("This Idempotency-Key was used with a different body") from None
    if found is None:
        return None
    body = submission_body(found.partner_referral)
    # A retry gets the first answer only while the referral is still this client's to read and
    # still what it was: after a transfer to an area the client is not in (or an area taken
    # from the client) a replay would say where the case went. Nothing is made again either way.
    readable = access.partner_referrals(request.viewer, client).filter(pk=found.partner_referral.pk).exists()
    if not readable or not constant_time_compare(response_digest(body), found.response_digest):
        raise Conflict("The submission under this Idempotency-Key was made; its referral is no longer as it was answered")
    _submission_read(request, body, found.partner_referral.referral)
    return Response(SubmittedOut(body).data, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true", "Location": body["url"]})


def _submission_read(request, body: dict, referral) -> None:
    """The answer to a submission names the case and its criteria and level: logged as the
    referral's page logs them."""
    audit.record_case_reads(
        request=request,
        reads={body["case_reference"]: {"referral.status", "referral.criteria", assessment_fact(referral)}},
        purpose="partner API: submission",
    )


def _conflict():
    raise Conflict


class ReferralView(PartnerAPIView):
    @extend_schema(
        operation_id="referrals_read", summary="A referral's status and the coordinator's decision", responses={200: ReferralOut}
    )
    def get(self, request, public_id: str):
        found, relationships = access.partner_referral_get(request, _client(request), public_id, purpose="partner API: referral")
        referral = found.referral
        view = RedactedView(referral, relationships, "referral.")
        body = {
            **_referral_row(found),
            "criteria": list(referral.criteria),
            "risk_level": referral.assessment.level.value if referral.assessment_id else None,
            "decision": _decision(referral, view),
        }
        reads = view.revealed | {"referral.criteria", assessment_fact(referral)}
        audit.record_case_reads(request=request, reads={referral.case.reference: reads}, purpose="partner API: referral")
        return Response(ReferralOut(body).data)


def _action_body(action, relationships) -> tuple[dict, set[str]]:
    view = RedactedView(action, relationships, "action.")
    description, owner, action_status = view.description, view.owner, view.status
    body = {
        "id": action.pk,
        "case_reference": action.case.reference,
        "area": action.case.area.short_code,
        "agreed_on": timezone.localtime(action.meeting.starts_at).date(),
        "due_on": action.due_on,
        "description": None if isinstance(description, Withheld) else description,
        "owner": None if isinstance(owner, Withheld) else owner,
        "status": None if isinstance(action_status, Withheld) else action_status,
    }
    return body, view.revealed


class ActionsView(PartnerAPIView):
    @extend_schema(
        operation_id="actions_list",
        summary="Actions this client's agency owns in its areas, soonest due first",
        parameters=[PAGE],
        responses={200: ActionPageOut},
    )
    def get(self, request):
        client = _client(request)
        paginator = Paged()
        page = paginator.paginate_queryset(access.partner_actions(request.viewer, client), request, self) or []
        rows, reads = [], {}
        for action in page:
            body, revealed = _action_body(action, access.partner_action_relationships(request.viewer, action))
            rows.append(body)
            reads.setdefault(action.case.reference, set()).update(revealed)
        audit.record_case_reads(request=request, reads=reads, purpose="partner API: actions")
        return paginator.get_paginated_response(ActionPageOut().fields["results"].to_representation(rows))


class ActionView(PartnerAPIView):
    @extend_schema(operation_id="actions_read", summary="One of the agency's actions", responses={200: ActionOut})
    def get(self, request, pk: int):
        action, relationships = access.partner_action_get(request, _client(request), pk, purpose="partner API: action")
        return self._shown(request, action, relationships)

    @extend_schema(
        operation_id="actions_update",
        summary="Report progress on an action: a note, and its status",
        request=ActionUpdateIn,
        responses={200: ActionOut},
    )
    def patch(self, request, pk: int):
        client = _client(request)
        action, relationships = access.partner_action_get(request, client, pk, purpose="partner API: update action")
        if "status" not in writable_fields("meetings.action", relationships):
            refuse(
                request,
                status=403,
                event="api_action_denied",
                purpose=f"partner API: update action {pk}",
                case_reference=action.case.reference,
            )
        incoming = ActionUpdateIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        if data.get("note", "").strip() or data.get("status", action.status) != action.status:
            partner_action_update(action=action, status=data.get("status"), note=data.get("note", ""), client=client)
            action.refresh_from_db(fields=["status"])
        # else: a PATCH that changes nothing writes nothing, and answers with the action as it is
        return self._shown(request, action, relationships)

    def _shown(self, request, action, relationships) -> Response:
        body, revealed = _action_body(action, relationships)
        audit.record_case_reads(request=request, reads={action.case.reference: revealed}, purpose=f"partner API: action {action.pk}")
        return Response(ActionOut(body).data)


class TokenView(PartnerAPIView):
    """OAuth2 token endpoint: client credentials only (RFC 6749 section 4.4), answered by
    django-oauth-toolkit with RFC 6749's own JSON errors."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenEndpointThrottle]
    parser_classes = [LimitedFormParser]

    @extend_schema(
        operation_id="oauth_token",
        summary="Get an access token with the client id and secret (HTTP Basic or form fields)",
        auth=[],
        request={
            "application/x-www-form-urlencoded": inline_serializer(
                "TokenRequest",
                {
                    "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
                    "client_id": serializers.CharField(required=False),
                    "client_secret": serializers.CharField(required=False),
                    "scope": serializers.CharField(required=False),
                },
            )
        },
        responses={200: TokenOut, 400: OAuthErrorOut, 401: OAuthErrorOut},
    )
    def post(self, request):
        request.data  # noqa: B018  # parsed (within the size limit) before the toolkit reads request.POST
        _, headers, body, code = get_oauthlib_core().create_token_response(request._request)
        if code == 200:
            request._request.partner_client = _client_of_token(body)  # for this call's access event
        response = HttpResponse(body, status=code, content_type="application/json")
        for name, value in headers.items():
            if name.lower() in ("cache-control", "pragma", "www-authenticate"):
                response[name] = value
        return response


def _client_of_token(body: str):
    token = json.loads(body)["access_token"]
    checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
    found = AccessToken.objects.select_related("application__partner_client__service_user").filter(token_checksum=checksum).first()
    return getattr(found.application, "partner_client", None) if found and found.application else None


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: public while the API is on (it describes the API, holds no data), so
    partner developers and schemathesis can read it without a token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenEndpointThrottle]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not api_is_on():
            raise exceptions.NotFound("Not found")
        return super().get(request, *args, **kwargs)


@csrf_exempt
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any other address under /api/v1/: the same problem+json 404 as everything else here."""
    return JsonResponse(
        {"type": "about:blank", "title": "Not found", "status": 404, "detail": "Not found"}, status=404, content_type=PROBLEM_JSON
    )
