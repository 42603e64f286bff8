from django.urls import path

from actiontables import feeds, views
from cswb.lib.pagecache import public_page

app_name = "actiontables"

# Fixed paths come before "<slug>/"; models.RESERVED_SLUGS keeps tables off them.
urlpatterns = [
    path("", views.index, name="index"),
    path("leadership-group/", views.leadership, name="leadership"),
    path("feed/", public_page(feeds.UpdatesFeed()), name="feed"),
    path("follow/confirm/<str:token>/", views.follow_confirm, name="follow_confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<slug:slug>/", views.table, name="table"),
    path("<slug:slug>/feed/", public_page(feeds.TableUpdatesFeed()), name="table_feed"),
    path("<slug:slug>/follow/", views.follow, name="follow"),
    path("<slug:slug>/follow/sent/", views.follow_sent, name="follow_sent"),
]
