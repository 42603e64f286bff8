"""What the portal does while its database does not answer (a PostgreSQL restart, a failover).

One mechanism for every view: ``DatabaseOutageMiddleware`` (and the 500 handler, for errors
raised outside views) turns an error that says the database cannot be reached into a 503:

- a page that needs the database shows ``503.html`` ("try again in a minute"), with Retry-After;
- a form that could not be saved comes back with everything typed and the message "nothing was
  saved". A view says how to show its form without the database with
  ``@form_when_database_down(build)``; any other form comes back on ``503.html`` as a plain form
  holding what was typed, to send again;
- the log gets one warning line per request, without a traceback: an outage is not a bug.

Nothing is retried for the person: they see what happened and send again when they choose. The
connection itself recovers on its own (``CONN_HEALTH_CHECKS``: a broken connection is dropped at
the next request), so no process needs a restart.

Forms with choices read from the database (the municipalities) remember the last options they
showed (``RememberChoicesMixin``), in this process and in the shared cache, so they can still
be drawn while the database is away.
"""

import functools
import logging
import re
import sqlite3

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DatabaseError, InterfaceError, OperationalError
from django.forms.utils import ErrorDict
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

# What Retry-After says: a PostgreSQL restart takes seconds, a failover well under a minute.
RETRY_AFTER_SECONDS = 30
# PostgreSQL's "the server is shutting down or starting" (class 57P), as opposed to errors of
# a query (a deadlock, a timeout) that say nothing about the server being away.
SERVER_GOING_AWAY = {"57P01", "57P02", "57P03"}
# SQLite's words for a file it cannot use at all.
SQLITE_UNAVAILABLE = ("unable to open database file", "disk I/O error", "database is locked")
# Fields of a posted form that are not what a person typed, or must never be shown again.
MACHINE_FIELDS = {"csrfmiddlewaretoken", "website", "started", "action"}
# The admin's buttons (``_save``) and its formsets' counters (``events-TOTAL_FORMS``).
MACHINE_FIELD = re.compile(r"^_|-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
SECRET_FIELD = re.compile(r"pass|token|secret|otp|key", re.IGNORECASE)


def database_unavailable(exc: BaseException | None) -> bool:
    """Return whether ``exc`` says the database cannot be reached, rather than a query failed."""
    if isinstance(exc, OperationalError | InterfaceError):
        cause = exc.__cause__ or exc  # Django's wrapper: the driver's error is its cause
    elif isinstance(exc, _driver_errors()):
        cause = exc  # raised outside Django's wrapper
    else:
        return False
    if isinstance(cause, (InterfaceError, *_driver_errors()[1::2])):
        return True  # the connection is closed or unusable
    if isinstance(cause, sqlite3.Error):
        return any(text in str(cause) for text in SQLITE_UNAVAILABLE)
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith("08") or sqlstate in SERVER_GOING_AWAY
    # psycopg gives no SQLSTATE when it could not connect or the server went away mid-reply.
    return True


@functools.cache
def _driver_errors() -> tuple[type, ...]:
    """Return the drivers' (OperationalError, InterfaceError) pairs, in that order."""
    errors = (sqlite3.OperationalError, sqlite3.InterfaceError)
    try:
        import psycopg
    except ImportError:  # a SQLite-only install
        return errors
    return errors + (psycopg.OperationalError, psycopg.InterfaceError)


class DatabaseOutageMiddleware:
    """Answer a view that failed because the database is away with a 503 (see the module)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_unavailable(exception):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request, exc: BaseException):
    """Return the 503 for ``request``, which failed with ``exc`` (the database is away)."""
    # A middleware may fail again on the way out (the session middleware reads the session
    # it would save): the request still gets one line.
    if not getattr(request, "database_outage_logged", False):
        request.database_outage_logged = True
        log.warning(
            "Database unavailable: %s %s answered 503 (%s: %s)",
            request.method,
            request.path,
            type(exc).__name__,
            " ".join(str(exc).split())[:200],
        )
    if request.method == "POST":
        response = _form_again(request)
    else:
        response = render(request, "503.html", {"posted": False}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # The warning above is the request's one line: Django would log it again, as an error with
    # the traceback when it reached the 500 handler.
    response._has_been_logged = True
    return response


def form_when_database_down(build):
    """Mark a view whose form can be shown again without the database.

    ``build(request, *args, **kwargs)`` gets the view's arguments and returns ``(template,
    context)``, with the form bound to what was posted as ``context["form"]``; it must not read
    the database. The form gets the message that nothing was saved, and the page status 503.
    """

    def decorate(view):
        # Django's own view decorators copy attributes (functools.wraps): any order works.
        view.form_when_database_down = build
        return view

    return decorate


def unsaved_message() -> str:
    return _(
        "We could not save this just now: our database did not answer, so nothing was saved. "
        "Everything you typed is still here. Please send it again in a minute, or call 311."
    )


def _form_again(request):
    match = request.resolver_match
    build = getattr(match.func, "form_when_database_down", None) if match else None
    if build is not None:
        try:
            template, context = build(request, *match.args, **match.kwargs)
            _mark_unsaved(context["form"])
            return render(request, template, context, status=503)
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            # The page needed the database after all: the plain form below keeps the words.
    return render(
        request,
        "503.html",
        {
            "posted": True,
            "fields": _typed_fields(request),
            "had_files": bool(request.FILES),
            "action": request.get_full_path(),
        },
        status=503,
    )


def _mark_unsaved(form) -> None:
    """Give ``form`` (bound to what was posted) the message, without validating it: validation
    may ask the database (a chosen municipality must exist)."""
    form._errors = ErrorDict(renderer=form.renderer)
    form.cleaned_data = {}
    form.add_error(None, ValidationError(unsaved_message(), code="database_unavailable"))
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and not _remembered(_choices_key(form, name)):
            # Nothing remembered to draw the list from: keep what was chosen, if unnamed.
            kept = form[name].value()
            kept = kept if isinstance(kept, list | tuple) else [kept] if kept else []
            empty = [("", field.empty_label)] if getattr(field, "empty_label", None) else []
            field.choices = empty + [(str(v), _("Your earlier choice (kept)")) for v in kept]


def _typed_fields(request) -> list[dict]:
    """Return what was posted, for the plain form on ``503.html``: shown, or carried hidden."""
    fields = []
    for name, values in request.POST.lists():
        if name == "csrfmiddlewaretoken" or SECRET_FIELD.search(name):
            continue  # a fresh token is added; a password is never sent back in a page
        label = name.replace("_", " ").replace("-", " ").strip().capitalize()
        for value in values:
            fields.append({"name": name, "label": label, "value": value,
                           "hidden": name in MACHINE_FIELDS or bool(MACHINE_FIELD.search(name))})
    return fields


# Choices remembered for drawing a form while the database is away ------------------------------

_remembered_here: dict[str, list[tuple[str, str]]] = {}
REMEMBERED_TTL = 60 * 60 * 24 * 30


def _choices_key(form, name: str) -> str:
    return f"outage:choices:{type(form).__module__}.{type(form).__qualname__}.{name}"


def _remember(key: str, choices: list[tuple[str, str]]) -> None:
    if _remembered_here.get(key) == choices:
        return
    _remembered_here[key] = choices
    cache.set(key, choices, REMEMBERED_TTL)  # fails open (cswb/lib/cache.py): memory is enough


def _remembered(key: str) -> list[tuple[str, str]] | None:
    if key in _remembered_here:
        return _remembered_here[key]
    return cache.get(key)


class RememberedChoiceIterator(forms.models.ModelChoiceIterator):
    """Iterate a model choice field's options, remembering them; while the database is away,
    give the ones remembered last."""

    def __init__(self, field, *, key: str):
        super().__init__(field)
        self.key = key

    def __iter__(self):
        try:
            choices = list(super().__iter__())
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            yield from _remembered(self.key) or []
            return
        _remember(self.key, [(str(value), str(label)) for value, label in choices])
        yield from choices

    def __len__(self):
        try:
            return super().__len__()
        except DatabaseError as exc:
            if not database_unavailable(exc):
                raise
            return len(_remembered(self.key) or [])

    def __bool__(self):
        return self.field.empty_label is not None or len(self) > 0


class RememberChoicesMixin:
    """Let a form's model choice fields be drawn while the database is away (see the module)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField):
                field.iterator = functools.partial(
                    RememberedChoiceIterator, key=_choices_key(self, name)
                )
                field.widget.choices = field.choices
