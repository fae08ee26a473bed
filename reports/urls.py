from django.urls import path

import referrals.urls  # noqa: F401  registers the case_ref converter, which also fits area codes
from reports import views

urlpatterns = [
    path("", views.ni32_report, name="ni32-report"),
    path("<case_ref:code>/repeats/", views.repeats, name="ni32-repeats"),
    path("<case_ref:code>/data-return/", views.data_return_page, name="data-return"),
    path("<case_ref:code>/data-return.csv", views.data_return_csv, name="data-return-csv"),
    path("<case_ref:code>/data-return.pdf", views.data_return_pdf, name="data-return-pdf"),
]
