import logging

import pytest
from django.db.utils import OperationalError

from cswb.testing.database import unreachable_database


def test_it_reports_every_service(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["cache"] == "ok"
    assert body["broker"] in {"ok", "eager"}
    assert body["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_when_the_database_is_down(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("cswb.views._check_database", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "database": "down",
        "cache": "ok",
        "broker": response.json()["broker"],
        "status": "down",
        "problems": ["PostgreSQL (the database) does not answer"],
    }


def test_it_answers_503_when_the_cache_is_down(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr("cswb.views._check_cache", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["cache"] == "down"
    assert response.json()["problems"] == ["Redis (the shared cache) does not answer"]


def test_it_answers_503_when_the_broker_is_down(client, db):
    from cswb.celery import app

    saved = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
    assert "Redis (the task broker) does not answer" in response.json()["problems"]


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_it_refuses_other_methods(client, db, method):
    assert getattr(client, method)("/healthz").status_code == 405


def test_livez_answers_without_touching_services(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"



def test_an_outage_gives_one_warning_line_per_check_and_no_error(client, db, caplog):
    with unreachable_database():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"
    lines = [(r.name, r.levelname) for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [("cswb.views", "WARNING")]
