from django.urls import path

from referrals import views

urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("<str:reference>/", views.case_detail, name="case-detail"),
    path("<str:reference>/victim/", views.victim_edit, name="victim-edit"),
]
