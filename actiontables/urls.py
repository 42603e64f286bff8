from django.urls import path

from actiontables import feeds, views
from cswb.lib.feeds import feed_view

app_name = "actiontables"

# Fixed paths come before "<slug>/"; models.RESERVED_SLUGS keeps tables off them.
urlpatterns = [
    path("", views.index, name="index"),
    path("leadership-group/", views.leadership, name="leadership"),
    path("feed/", feed_view(feeds.UpdatesFeed()), name="feed"),
    path("feed/rss/", feed_view(feeds.UpdatesFeed.rss()), name="feed_rss"),
    path("follow/confirm/<str:token>/", views.follow_confirm, name="follow_confirm"),
    path("follow/yearly-report/<str:token>/", views.follow_plan_reports,
         name="follow_plan_reports"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<slug:slug>/", views.table, name="table"),
    path("<slug:slug>/feed/", feed_view(feeds.TableUpdatesFeed()), name="table_feed"),
    path("<slug:slug>/feed/rss/", feed_view(feeds.TableUpdatesFeed.rss()), name="table_feed_rss"),
    path("<slug:slug>/follow/", views.follow, name="follow"),
    path("<slug:slug>/follow/sent/", views.follow_sent, name="follow_sent"),
]
