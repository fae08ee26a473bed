from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The partner API: Django REST Framework, OAuth2 client credentials, an OpenAPI 3 schema."""

    name = "api"
    verbose_name = "Partner API"
