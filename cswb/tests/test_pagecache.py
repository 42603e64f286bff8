import time

from django.http import HttpResponse
from django.test import RequestFactory

from cswb.lib.pagecache import public_page
from indicators.models import Geography


@public_page
def _geographies(request):
    names = ", ".join(Geography.objects.order_by("name").values_list("name", flat=True))
    return HttpResponse(names)


def _get(**headers):
    request = RequestFactory().get("/places/", headers=headers)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    return _geographies(request)


def test_it_serves_a_warm_page_without_queries(db, django_assert_num_queries):
    Geography.objects.create(name="Milton", slug="milton-x", level="municipality", code="x1")
    first = _get()
    with django_assert_num_queries(0):
        second = _get()
    assert second.content == first.content
    assert "Milton" in second.content.decode()


def test_a_change_shows_on_the_next_request(db, django_capture_on_commit_callbacks):
    before = _get().content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Geography.objects.create(name="Zorra", slug="zorra", level="municipality", code="x2")
    after = _get().content.decode()
    assert "Zorra" not in before
    assert "Zorra" in after


def test_it_answers_304_to_a_matching_etag(db):
    first = _get()
    again = _get(if_none_match=first["ETag"])
    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert "must-revalidate" in first["Cache-Control"]


def test_signed_in_staff_always_get_a_fresh_page(db, cswb_admin, django_assert_num_queries):
    request = RequestFactory().get("/places/")
    request.user = cswb_admin
    _geographies(request)
    with django_assert_num_queries(1):
        _geographies(request)


def test_the_home_page_is_cached_and_conditional(client, db):
    first = client.get("/")
    assert first.status_code == 200 and first["ETag"]
    assert client.get("/", headers={"if-none-match": first["ETag"]}).status_code == 304


def test_a_private_row_leaves_cached_pages_alone(db, django_capture_on_commit_callbacks):
    from actiontables.tests.factories import ActionTableFactory, SubscriptionFactory
    from cswb.lib.pagecache import content_version

    table = ActionTableFactory()
    before = content_version()
    with django_capture_on_commit_callbacks(execute=True):
        SubscriptionFactory(table=table)
    assert content_version() == before
    with django_capture_on_commit_callbacks(execute=True):
        table.summary = "Changed"
        table.save()
    assert content_version() == before + 1


def test_a_local_copy_is_never_served_after_a_change(db, django_capture_on_commit_callbacks):
    from cswb.lib.pagecache import local_pages

    Geography.objects.create(name="Milton", slug="milton-x", level="municipality", code="x1")
    _get()
    assert local_pages.used > 0
    with django_capture_on_commit_callbacks(execute=True):
        Geography.objects.filter(slug="milton-x").update(name="Campbellville")
        Geography.objects.create(name="Acton", slug="acton-x", level="municipality", code="x3")
    page = _get().content.decode()
    assert "Campbellville" in page and "Acton" in page


def test_a_local_copy_is_never_served_after_the_shared_cache_loses_everything(db):
    """Redis keeps nothing on disk: after a restart, old version numbers must not come back."""
    from django.core.cache import cache

    Geography.objects.create(name="Milton", slug="milton-x", level="municipality", code="x1")
    _get()
    Geography.objects.filter(slug="milton-x").update(name="Campbellville")  # no signal
    cache.clear()
    assert "Campbellville" in _get().content.decode()


def test_local_pages_keep_to_their_budget_and_drop_the_least_recently_used():
    from cswb.lib.pagecache import LocalPages

    pages = LocalPages(budget=100)
    far = time.time() + 60
    pages.put("a", "A", 40, far)
    pages.put("b", "B", 40, far)
    assert pages.get("a") == "A"  # now "b" is the least recently used
    pages.put("c", "C", 40, far)
    assert pages.get("b") is None
    assert pages.get("a") == "A" and pages.get("c") == "C"
    assert pages.used == 80
    pages.put("huge", "H", 101, far)
    assert pages.get("huge") is None and pages.used == 80


def test_local_pages_forget_what_has_expired():
    from cswb.lib.pagecache import LocalPages

    pages = LocalPages(budget=100)
    pages.put("gone", "G", 10, time.time() - 1)
    assert pages.get("gone") is None
    assert pages.used == 0


def test_a_page_that_expires_expires_in_every_process(db):
    """A page cached until a known moment (a grant round opening) leaves the local copy too."""
    from cswb.lib.pagecache import get_page, local_pages, put_page

    put_page("page:test", ("body",), 4, ttl=1)
    local_pages.clear()
    assert get_page("page:test") == ("body",)  # fetched from the shared cache, with its expiry
    expires_at = local_pages._entries["page:test"][0]
    assert expires_at <= time.time() + 1


def test_cached_pages_lose_their_indentation_but_not_their_words():
    from cswb.lib.pagecache import compact

    page = b"<ul>\n    <li>One\n      two</li>\n\n    \n    <li>Three</li>\n</ul>\n"
    assert compact(page, "text/html; charset=utf-8") == (
        b"<ul>\n<li>One\ntwo</li>\n<li>Three</li>\n</ul>\n"
    )


def test_pages_with_preformatted_text_and_other_types_are_cached_as_they_are():
    from cswb.lib.pagecache import compact

    pre = b"<div>\n    <pre>\n  keep\n    this</pre>\n</div>"
    assert compact(pre, "text/html") == pre
    area = b"<form>\n   <TEXTAREA>\n  typed</TEXTAREA>\n</form>"
    assert compact(area, "text/html") == area
    csv = b"a,b\n  1,2\n"
    assert compact(csv, "text/csv") == csv


def test_the_dashboard_overview_is_compacted(client, db):
    html = client.get("/dashboard/").content
    assert b"\n  " not in html and b"\n\n" not in html


def test_entries_an_older_release_left_in_redis_are_not_read(db):
    """A rolling deploy meets pages cached in the old layout: they must be a miss, not a 500."""
    from django.core.cache import cache

    from cswb.lib.pagecache import get_page

    cache.set("page:1:abc", (b"<p>old</p>", "text/html", '"etag"'))
    cache.set("indicators:page:1-abc", (b"<p>old</p>", {"Content-Type": "text/html"}))
    assert get_page("page:1:abc") is None
    assert get_page("indicators:page:1-abc") is None


# Bounded: only the query parameters a page understands --------------------------------------


def test_made_up_query_parameters_are_answered_but_never_kept(client, db):
    from cswb.lib.pagecache import local_pages

    client.get("/action-tables/")
    kept = len(local_pages)
    for n in range(20):
        response = client.get(f"/action-tables/?utm_campaign={n}")
        assert response.status_code == 200
        assert "ETag" not in response
    for url in ("/?fbclid=x", "/grants/?ref=mail", "/dashboard/?utm_source=x",
                "/dashboard/places/milton/?x=1"):
        client.get(url)
    assert len(local_pages) == kept


def test_the_parameters_a_page_understands_share_one_normalized_copy(client, db):
    from cswb.lib.pagecache import local_pages

    first = client.get("/action-tables/?zone=prevention")
    assert first["ETag"]
    kept = len(local_pages)
    for url in ("/action-tables/?zone=prevention&page=1", "/action-tables/?page=1&zone=prevention",
                "/action-tables/?zone=prevention&page=01"):
        assert client.get(url)["ETag"] == first["ETag"]
    assert len(local_pages) == kept
    assert client.get("/action-tables/?zone=prevention&page=1&page=2").status_code == 200
    assert client.get("/action-tables/?zone=made-up").status_code == 400
    assert len(local_pages) == kept


def test_a_page_number_past_the_last_is_answered_but_not_kept(client, db):
    from cswb.lib.pagecache import local_pages

    client.get("/action-tables/")
    kept = len(local_pages)
    for n in (2, 57, 9999, 123456):
        assert client.get(f"/action-tables/?page={n}").status_code == 200
    assert len(local_pages) == kept


def test_a_made_up_dashboard_filter_is_answered_but_not_kept(client, db):
    from cswb.lib.pagecache import local_pages

    client.get("/dashboard/")
    kept = len(local_pages)
    for n in range(5):
        response = client.get(f"/dashboard/?domain=no-such-domain-{n}")
        assert response.status_code == 200
        assert "There is no domain" in response.content.decode()
    assert len(local_pages) == kept


def test_the_cache_query_keeps_known_parameters_in_a_fixed_order():
    from cswb.lib.pagecache import cache_query, one_of, page_number

    query = {"zone": one_of("prevention"), "page": page_number}
    factory = RequestFactory()
    assert cache_query(factory.get("/?page=2&zone=prevention"), query) == "page=2&zone=prevention"
    assert cache_query(factory.get("/?zone=&page=1"), query) == ""
    assert cache_query(factory.get("/?zone=other"), query) is None
    assert cache_query(factory.get("/?page=0"), query) is None
    assert cache_query(factory.get("/?page=²"), query) is None
    assert cache_query(factory.get("/?q=1"), query) is None
    assert cache_query(factory.get("/?page=2&page=3"), query) is None
