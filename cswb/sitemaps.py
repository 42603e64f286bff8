"""robots.txt and sitemap.xml: what search engines and catalogue crawlers may read, and the
public pages to list. Each app's public pages are listed here from its own models."""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_safe

from cswb.lib.pagecache import public_page

# Private or per-person paths: staff screens and residents' and applicants' private links.
DISALLOWED = ["/admin/", "/staff/", "/issues/follow/", "/grants/apply/continue/",
              "/grants/applications/", "/grants/attachments/", "/action-tables/follow/",
              "/action-tables/unsubscribe/"]


def sitemap_paths() -> list[str]:
    """Return the path of every public page. Four queries."""
    from actiontables.models import ActionTable
    from indicators.models import Domain, Geography, Indicator

    paths = [reverse("home"), reverse("privacy"), reverse("grants_privacy"),
             reverse("accessibility"), reverse("contact"),
             reverse("actiontables:index"), reverse("actiontables:leadership"),
             reverse("indicators:overview"), reverse("indicators:data_dictionary"),
             reverse("grants:index")]
    paths += [reverse("actiontables:table", args=[slug])
              for slug in ActionTable.objects.public().values_list("slug", flat=True)]
    paths += [domain.get_absolute_url() for domain in Domain.objects.all()]
    paths += [indicator.get_absolute_url() for indicator in Indicator.objects.published()]
    paths += [place.get_absolute_url() for place in Geography.objects.municipalities()]
    return paths


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOWED), "",
             f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@public_page
def sitemap_xml(request):
    urls = [settings.SITE_URL + path for path in sitemap_paths()]
    return HttpResponse(render_to_string("sitemap.xml", {"urls": urls}),
                        content_type="application/xml; charset=utf-8")
