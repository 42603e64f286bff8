from django.urls import path

from grants import views

app_name = "grants"

urlpatterns = [
    path("", views.index, name="index"),
    path("apply/<slug:round_slug>/", views.apply, name="apply"),
    path("apply/continue/<str:token>/", views.resume, name="resume"),
    path("apply/continue/<str:token>/submit/", views.submit, name="submit"),
    path("apply/continue/<str:token>/<slug:step>/", views.apply_step, name="step"),
    path("applications/new-link/", views.request_links, name="request_links"),
    path("applications/<str:token>/", views.status, name="status"),
    path("applications/<str:token>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<str:token>/answers/", views.answers, name="answers"),
    path("applications/<str:token>/answers.pdf", views.answers_pdf, name="answers_pdf"),
    path(
        "applications/<str:token>/files/<int:pk>/",
        views.applicant_attachment,
        name="applicant_attachment",
    ),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("funded/<int:year>/", views.funded, name="funded"),
    path("funded/<int:year>/programs.csv", views.funded_csv, name="funded_csv"),
]
