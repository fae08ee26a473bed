from django.urls import path  # noqa: F401  # the importer's pages are added here

app_name = "imports"
urlpatterns: list = []
