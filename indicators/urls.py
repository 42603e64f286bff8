from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("domains/<slug:slug>/", views.domain, name="domain"),
    path("indicators/<slug:slug>/", views.indicator, name="indicator"),
    path("indicators/<slug:slug>.csv", views.indicator_data, {"fmt": "csv"},
         name="indicator_csv"),
    path("indicators/<slug:slug>.json", views.indicator_data, {"fmt": "json"},
         name="indicator_json"),
    path("places/<slug:slug>/", views.municipality, name="municipality"),
    path("data/indicators.csv", views.dataset, {"fmt": "csv"}, name="dataset_csv"),
    path("data/indicators.json", views.dataset, {"fmt": "json"}, name="dataset_json"),
    path("data/datapackage.json", views.datapackage, name="datapackage"),
    path("data/", views.data_dictionary, name="data_dictionary"),
]
