from django.urls import path

from actiontables import views

app_name = "actiontables"

urlpatterns = [
    path("", views.index, name="index"),
]
