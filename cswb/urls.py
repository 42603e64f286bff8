from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from cswb import sitemaps, views
from cswb.accounts import views as views_accounts
from indicators import views as indicators_views

admin.site.site_header = _("CSWB Portal administration")
admin.site.site_title = _("CSWB Portal")
admin.site.index_title = _("Run the plan")

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/grants/", views.privacy_grants, name="grants_privacy"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("contact/", views.contact, name="contact"),
    path("healthz", views.healthz, name="healthz"),
    path("livez", views.livez, name="livez"),
    path("favicon.ico", views.favicon),
    path("robots.txt", sitemaps.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemaps.sitemap_xml, name="sitemap"),
    path("data.json", indicators_views.data_json, name="data_json"),
    path("action-tables/", include("actiontables.urls")),
    path("dashboard/", include("indicators.urls")),
    path("grants/", include("grants.urls")),
    path("issues/", include("issues.urls")),
    path("open311/v2/", include("open311.urls")),
    path("plan/", include("plan.urls")),
    path("staff/", include("cswb.accounts.urls")),
    path("admin/logout/", views_accounts.logout_view),
    path("admin/", admin.site.urls),
]

handler400 = "cswb.views.bad_request"
handler403 = "cswb.views.permission_denied"
handler404 = "cswb.views.page_not_found"
handler500 = "cswb.views.server_error"
