from django.urls import path

from issues import views

app_name = "issues"

urlpatterns = [
    path("new/", views.create, name="create"),
    path("received/<str:token>/", views.submitted, name="submitted"),
    path("follow/new-link/", views.request_links, name="request_links"),
    path("follow/<str:token>/", views.follow, name="follow"),
]
