"""Property-based tests: no generated input to a public URL or form may cause a server error."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.datastructures import MultiValueDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STAFF_PREFIXES = ("admin/",)
SKIP_NAMES = {"healthz", "livez"}

ugly_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20),
    st.just("\x00"),
    st.just("../../etc/passwd"),
    st.just("%00%2e%2e%2f"),
    st.text(min_size=5000, max_size=6000),
    st.sampled_from(["-1", "0", "99999999999999999999", "1e309", "NaN", "<script>x</script>"]),
)
converter_values = {
    "int": st.one_of(st.integers(min_value=0, max_value=2**63), st.just(0)),
    "slug": st.from_regex(r"\A[-a-zA-Z0-9_]{1,60}\Z"),
    "str": st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s),
    "path": st.text(min_size=1, max_size=80),
    "uuid": st.uuids().map(str),
}


def _public_patterns():
    """Yield (route template, converter names) for every public URL pattern."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if route.startswith(STAFF_PREFIXES):
                continue
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and entry.name not in SKIP_NAMES:
                if route.startswith("^"):
                    continue  # regex routes (none of ours) would need their own strategy
                yield route

    return sorted(set(walk(get_resolver().url_patterns)))


ROUTES = _public_patterns()
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _path_strategy(route: str):
    parts = []
    last = 0
    for match in CONVERTER.finditer(route):
        parts.append(st.just(route[last : match.start()]))
        parts.append(converter_values.get(match.group(1) or "str", converter_values["str"]))
        last = match.end()
    parts.append(st.just(route[last:]))
    return st.tuples(*parts).map(lambda bits: "/" + "".join(str(b) for b in bits))


@pytest.mark.parametrize("route", ROUTES)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_public_url_fails_on_generated_input(client, db, route, data):
    path = data.draw(_path_strategy(route))
    query = data.draw(st.dictionaries(st.sampled_from(["q", "page", "zone", "next", "domain"]),
                                      ugly_text, max_size=3))
    response = client.get(path, query)
    assert response.status_code < 500, (path, query)


class _FormFields(HTMLParser):
    """Collect the names of the fields of every POST form on a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[str]] = []
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append([])
            self._inside = True
        elif self._inside and tag in {"input", "select", "textarea"} and attrs.get("name"):
            self.forms[-1].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def _form_routes():
    return [route for route in ROUTES if not CONVERTER.search(route)]


@pytest.mark.parametrize("route", _form_routes())
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_public_form_fails_on_generated_input(client, db, route, data):
    page = client.get("/" + route)
    if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
        return
    parser = _FormFields()
    parser.feed(page.content.decode(errors="replace"))
    names = sorted({name for form in parser.forms for name in form} - {"csrfmiddlewaretoken"})
    if not names:
        return
    chosen = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names)))
    payload = MultiValueDict()
    for name in chosen:
        # Repeated fields and wrong types as well as plain ugly text.
        payload.setlist(name, data.draw(st.lists(ugly_text, min_size=1, max_size=2)))
    response = client.post("/" + route, payload)
    assert response.status_code < 500, (route, dict(payload.lists()))
