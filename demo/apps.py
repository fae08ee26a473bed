from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data and synthetic data at scale (its commands only). Request code never imports it,
    and production need not install it: see docs/architecture.md."""

    name = "demo"
    verbose_name = "Demo and synthetic data"
