from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """NI 32 and the quarterly data return: SQL aggregates over hearings. No tables of its own."""

    name = "reports"
    verbose_name = "NI 32 and the data return"
