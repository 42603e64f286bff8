from django.urls import path, re_path

from open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    path("", views.not_found, name="root"),
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[a-z_]{1,30})" + FMT, views.service_definition,
            name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<reference>[A-Za-z0-9-]{1,40})" + FMT, views.request_detail,
            name="request"),
    path("<path:rest>", views.not_found),
]
