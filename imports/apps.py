from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """The case importer: spreadsheets checked row by row, then written in bulk, encrypted."""

    name = "imports"
    verbose_name = "Case import"
