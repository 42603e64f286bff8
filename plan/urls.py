from django.urls import path

from plan import views

app_name = "plan"

urlpatterns = [
    path("", views.index, name="index"),
    path("committee/", views.committee, name="committee"),
    path("consultations/", views.consultations, name="consultations"),
    path("reports/<int:year>/", views.report, name="report"),
    path("reports/<int:year>/pdf/", views.report_pdf, name="report_pdf"),
    path("reports/preview/<int:pk>/", views.report_preview, name="report_preview"),
]
