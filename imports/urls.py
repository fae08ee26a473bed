from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.upload, name="cases-import"),
    path("cases-template.csv", views.template_csv, name="cases-import-template"),
    path("<uuid:pending>/confirm/", views.confirm, name="cases-import-confirm"),
    path("<uuid:pending>/cancel/", views.cancel, name="cases-import-cancel"),
]
