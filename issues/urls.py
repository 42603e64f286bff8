from django.urls import path

from issues import views

app_name = "issues"

urlpatterns = [
    path("new/", views.create, name="create"),
]
