"""The partner API, mounted at /api/v1/ (ADR 0030). No authorization-code or implicit views of
django-oauth-toolkit are mounted: the token endpoint is the only OAuth2 view."""

from django.urls import path, re_path

from api import views

app_name = "api"
urlpatterns = [
    path("oauth/token/", views.TokenView.as_view(), name="api-token"),
    path("schema/", views.SchemaView.as_view(), name="api-schema"),
    path("referrals/", views.ReferralsView.as_view(), name="api-referrals"),
    path("referrals/<str:public_id>/", views.ReferralView.as_view(), name="api-referral"),
    path("actions/", views.ActionsView.as_view(), name="api-actions"),
    path("actions/<int:pk>/", views.ActionView.as_view(), name="api-action"),
    re_path(r"^.*$", views.not_found, name="api-not-found"),  # last: anything else is a problem+json 404
]
