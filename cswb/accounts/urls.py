from django.urls import path

from cswb.accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in/", views.login, name="login"),
    path("sign-in/code/", views.verify, name="verify"),
    path("enrol/<str:token>/", views.enrol, name="enrol"),
    path("sign-out/", views.logout_view, name="logout"),
]
