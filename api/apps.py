from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The partner API: Django REST Framework, OAuth2 client credentials, an OpenAPI 3 schema."""

    name = "api"
    verbose_name = "Partner API"

    def ready(self) -> None:
        from api import schema  # noqa: F401  # registers the schema's OAuth2 security scheme
