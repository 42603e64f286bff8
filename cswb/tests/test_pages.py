import re

import pytest
from django.test import override_settings
from django.urls import path

from cswb import urls as project_urls


def _one_h1(html: str) -> str:
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert len(headings) == 1, headings
    return headings[0]


def test_the_home_page_explains_the_plan(client, db):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Community Safety and Well-Being in Halton" in _one_h1(html)
    for zone in ["Social development", "Prevention", "Risk intervention", "Incident response"]:
        assert zone in html
    for domain in ["Health", "Safety", "Community Well-Being"]:
        assert f">{domain}</dt>" in html


def test_every_page_has_the_layout(client, db):
    for url in ["/", "/privacy/", "/accessibility/", "/contact/"]:
        html = client.get(url).content.decode()
        _one_h1(html)
        assert '<html lang="en-ca">' in html
        assert 'href="#main"' in html and 'id="main"' in html
        header = html[html.index("<header"):html.index("</header>")]
        # The banner sits in the header landmark.
        assert 'In an emergency, call <a href="tel:911">911</a>.' in header
        for link in ["/action-tables/", "/dashboard/", "/grants/", "/issues/new/"]:
            assert f'href="{link}"' in html
        assert 'href="/privacy/"' in html and 'href="/accessibility/"' in html
        assert '<a href="tel:311">311</a>' in html
        assert '<a href="tel:+1-905-825-4777">905-825-4777</a>' in html


def test_the_privacy_statement_gives_authority_purpose_and_contact(client, db):
    html = client.get("/privacy/").content.decode()
    assert "Municipal Freedom of Information and Protection of Privacy Act" in html
    assert "cswb@halton.ca" in html


def test_it_shows_404_in_the_layout(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert 'In an emergency, call <a href="tel:911">911</a>.' in html


def _boom(request):
    raise RuntimeError("secret internals")


urlpatterns = [*project_urls.urlpatterns, path("boom/", _boom)]
handler500 = project_urls.handler500


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_it_shows_500_without_a_stack_trace(client, db):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


@pytest.mark.parametrize("url", ["/", "/privacy/"])
def test_pages_refuse_post(client, db, url):
    assert client.post(url).status_code == 405
