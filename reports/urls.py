from django.urls import path

import referrals.urls  # noqa: F401  registers the case_ref converter, which also fits area codes
from reports import measure_views, views

urlpatterns = [
    path("", views.ni32_report, name="ni32-report"),
    path("measures/", measure_views.measures, name="measures"),
    path("measures.csv", measure_views.measures_csv, name="measures-csv"),
    path("<case_ref:code>/repeats/", views.repeats, name="ni32-repeats"),
    path("<case_ref:code>/data-return/", views.data_return_page, name="data-return"),
    path("<case_ref:code>/data-return.csv", views.data_return_csv, name="data-return-csv"),
    path("<case_ref:code>/data-return.pdf", views.data_return_pdf, name="data-return-pdf"),
]
