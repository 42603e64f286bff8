from django.conf import settings


def site(request):
    """Expose the site's name and address to every template."""
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}
