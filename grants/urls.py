from django.urls import path

from grants import views

app_name = "grants"

urlpatterns = [
    path("", views.index, name="index"),
]
