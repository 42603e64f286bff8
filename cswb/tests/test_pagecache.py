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
