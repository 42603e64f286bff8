"""The one rate-limit mechanism: counting per key, fixed windows, and public forms."""

import time

import pytest
from django import forms
from django.core import signing
from django.test import RequestFactory
from django.utils import timezone

from cswb.lib import ratelimit
from cswb.lib.forms import HumanCheckMixin
from cswb.lib.ratelimit import RateLimit, limit_form, refuse


class _Form(HumanCheckMixin, forms.Form):
    name = forms.CharField()


def _started(seconds_ago: float) -> str:
    return signing.dumps(time.time() - seconds_ago, salt="form-started")


def _post(address="10.0.0.1"):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def test_it_counts_each_key_apart_and_refuses_past_the_limit():
    limit = RateLimit("test", limit=2, window=60)
    verdicts = [limit.hit("10.0.0.1") for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    assert [v.count for v in verdicts] == [1, 2, 3]
    assert limit.hit("10.0.0.2").allowed


def test_a_refusal_ends_with_the_window():
    limit = RateLimit("test", limit=1, window=3600)
    limit.hit("k")
    refused = limit.hit("k")
    now = timezone.now()
    assert not refused.allowed
    assert refused.resets_at.timestamp() % 3600 == 0
    assert now < refused.resets_at <= now + timezone.timedelta(hours=1)
    assert 1 <= refused.retry_after <= 3601


def test_peek_counts_nothing():
    limit = RateLimit("test", limit=1, window=60)
    assert limit.peek("k").allowed
    assert limit.peek("k").count == 0
    limit.hit("k")
    assert not limit.peek("k").allowed
    assert limit.peek("k").count == 1


def test_everything_is_allowed_while_the_cache_cannot_count(monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is away")

    monkeypatch.setattr(ratelimit.cache, "incr", down)
    limit = RateLimit("test", limit=1, window=60)
    verdicts = [limit.hit("k") for _ in range(3)]
    assert all(v.allowed for v in verdicts)
    assert {v.count for v in verdicts} == {None}


def test_a_form_with_mistakes_is_not_counted():
    limit = RateLimit("test", limit=1, window=60)
    for _ in range(3):
        form = _Form({"name": "", "website": "", "started": _started(30)})
        assert limit_form(_post(), form, limit) is None
        assert not form.is_valid()
    assert limit.peek("10.0.0.1").count == 0


@pytest.mark.parametrize(
    ("website", "seconds_ago"), [("http://spam.example", 30), ("", 0)], ids=["honeypot", "too-fast"]
)
def test_what_only_a_program_does_is_counted(website, seconds_ago):
    limit = RateLimit("test", limit=5, window=60)
    form = _Form({"name": "Bot", "website": website, "started": _started(seconds_ago)})
    assert limit_form(_post(), form, limit) is None
    assert form.looks_automated()
    assert limit.peek("10.0.0.1").count == 1


def test_an_expired_form_is_a_person_coming_back_not_abuse():
    form = _Form({"name": "Sam", "website": "", "started": "forged"})
    assert not form.is_valid()
    assert not form.looks_automated()


def test_at_the_limit_a_valid_form_is_refused_and_keeps_what_was_typed():
    limit = RateLimit("test", limit=1, window=60)
    first = _Form({"name": "Sam", "website": "", "started": _started(30)})
    assert limit_form(_post(), first, limit) is None and first.is_valid()

    second = _Form({"name": "Ada", "website": "", "started": _started(30)})
    refusal = limit_form(_post(), second, limit)
    assert refusal is not None and not refusal.allowed
    assert not second.is_valid()
    assert second["name"].value() == "Ada"
    [message] = second.non_field_errors()
    assert message.startswith("Nothing was sent")
    assert "call 311" in message
    # Another address is not held back.
    third = _Form({"name": "Lin", "website": "", "started": _started(30)})
    assert limit_form(_post("10.0.0.2"), third, limit) is None


def test_refuse_marks_the_response_only_when_refused():
    from django.http import HttpResponse

    limit = RateLimit("test", limit=0, window=60)
    verdict = limit.hit("k")
    response = refuse(HttpResponse("form"), verdict)
    assert response.status_code == 429
    assert response["Retry-After"] == str(verdict.retry_after)
    assert refuse(HttpResponse("form"), None).status_code == 200


def test_behind_the_balancer_it_counts_the_address_the_balancer_saw(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.250", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4"
    )
    assert ratelimit.client_ip(request) == "198.51.100.4"
    settings.TRUST_X_FORWARDED_FOR = False
    assert ratelimit.client_ip(request) == "10.0.0.250"
