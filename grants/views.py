"""Public grant pages: intake status, the application form, private links, funded programs."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cswb.lib.exports import csv_response
from cswb.lib.forms import HumanCheckMixin
from cswb.lib.links import read_token
from cswb.lib.outage import form_when_database_down
from cswb.lib.pagecache import PAGE_TTL, not_kept_unless_shown, page_number, public_page
from cswb.lib.pdf import PdfError, render_pdf
from cswb.lib.ratelimit import RateLimit, limit_form, refuse
from grants import permissions, services
from grants.answers import answer_sections
from grants.forms import (
    STEPS,
    STEPS_BY_KEY,
    ApplicationForm,
    LinkRequestForm,
    SubmitForm,
    WithdrawForm,
    first_problem,
    step_problems,
)
from grants.models import Application, Attachment, Award, Round
from grants.workflow import FUNDED_STATES, State
from indicators.models import Geography

# What one address may do in an hour; mistakes being corrected do not count (``limit_form``).
LINKS_LIMIT = RateLimit("grants-links", limit=5, window=3600)  # each may send emails
APPLY_LIMIT = RateLimit("grants-apply", limit=60, window=3600)  # saves and submissions
WITHDRAW_LIMIT = RateLimit("grants-withdraw", limit=20, window=3600)

STEP_KEYS = [step.key for step in STEPS]
CHECK = "check"  # the page after the steps, which shows every answer and submits


def _application_from_token(token: str) -> Application | None:
    public_id = read_token(services.LINK_PURPOSE, token, max_age=services.LINK_MAX_AGE)
    if public_id is None:
        return None
    return (
        Application.objects.select_related("round", "round__fund")
        .filter(public_id=public_id)
        .first()
    )


def _bad_link(request):
    return render(
        request, "grants/link_invalid.html", {"form": LinkRequestForm()}, status=404
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_links(request):
    """Send an applicant new private links by email; say the same thing whoever asks."""
    form = LinkRequestForm(request.POST or None)
    refusal = None
    if request.method == "POST":
        refusal = limit_form(request, form, LINKS_LIMIT)
        if refusal is None and form.is_valid():
            services.links_send(email=form.cleaned_data["email"])
            return render(
                request, "grants/links_sent.html", {"email": form.cleaned_data["email"]}
            )
    return refuse(render(request, "grants/links_request.html", {"form": form}), refusal)


@require_safe
@public_page
def index(request):
    now = timezone.now()
    rounds = list(Round.objects.select_related("fund").order_by("opens_at"))
    for round_ in rounds:
        round_.current_status = round_.status(now)
        round_.status_label = Round.Status(round_.current_status).label
    open_rounds = [r for r in rounds if r.current_status == Round.Status.OPEN]
    upcoming = [r for r in rounds if r.current_status == Round.Status.UPCOMING]
    closed = [r for r in rounds if r.current_status == Round.Status.CLOSED]
    years = sorted(
        {
            r.funding_year
            for r in Round.objects.filter(applications__state__in=FUNDED_STATES).distinct()
        }
        | {r.funding_year for r in closed if r.results_note},
        reverse=True,
    )
    response = render(
        request,
        "grants/index.html",
        {
            "open_rounds": open_rounds,
            "next_round": upcoming[0] if upcoming else None,
            "last_closed": closed[-1] if closed else None,
            "rounds": list(reversed(rounds)),
            "funded_years": years,
            "now": now,
        },
    )
    # The page says whether intake is open: cache it only until the next opening or closing.
    changes = [t for r in rounds for t in (r.opens_at, r.closes_at) if t > now]
    if changes:
        response.cache_ttl = min(int((min(changes) - now).total_seconds()), PAGE_TTL)
    return response


def _step_links(application, token):
    """Return each step of the progress list with the address it can be reached at (only once
    a draft exists: before that, the first step is the only page)."""
    items = []
    for number, step in enumerate(STEPS, start=1):
        url = reverse("grants:step", args=[token, step.key]) if token else ""
        items.append({"number": number, "key": step.key, "title": step.title, "url": url})
    items.append({
        "number": len(STEPS) + 1,
        "key": CHECK,
        "title": _("Check your answers"),
        "url": reverse("grants:resume", args=[token]) if token else "",
    })
    return items


def _step_context(round_, step, form, application=None, token=None, then="",
                  submitting=False) -> dict:
    """Return the context of a step's page (it reads nothing from the database)."""
    number = STEP_KEYS.index(step) + 1
    previous = STEP_KEYS[number - 2] if number > 1 else None
    if token and then == CHECK:
        back_url = reverse("grants:resume", args=[token])
    elif token and previous:
        back_url = reverse("grants:step", args=[token, previous])
    else:
        back_url = ""
    return {
        "round": round_,
        "form": form,
        "step": STEPS_BY_KEY[step],
        "number": number,
        "steps": _step_links(application, token),
        "step_count": len(STEPS) + 1,
        "back_url": back_url,
        "then": then,
        "submitting": submitting,
        "application": application,
        "token": token,
        "is_open": round_.is_open() if round_.closes_at else True,
        # A form rebuilt from saved answers has no human checks: the page sends fresh ones.
        "human": form if "started" in form.fields else HumanCheckMixin(),
    }


def _step_page(request, round_, step, form, application=None, token=None, status=200,
               then="", submitting=False):
    context = _step_context(round_, step, form, application, token, then, submitting)
    return render(request, "grants/apply.html", context, status=status)


def _form_without_database(request, round_slug=None, token=None, step=None):
    """Return a step of the application form as posted, for a save the database refused.

    The round and the draft are not at hand: the page says "the grant fund" and asks for files
    again; the links of the progress list and Back still work from the token.
    """
    round_ = Round(
        slug=round_slug or "", name=_("grant fund"), allow_one_year=True, allow_two_years=True
    )
    step = step if step in STEPS_BY_KEY else STEP_KEYS[0]
    form = ApplicationForm(request.POST, round=round_, step=step)
    then = CHECK if request.POST.get("then") == CHECK else ""
    return "grants/apply.html", _step_context(round_, step, form, token=token, then=then)


def _after_save(step: str, then: str) -> str:
    """Return where a saved step leads: the next step, or the check page after the last one or
    when the applicant came to change one answer."""
    index = STEP_KEYS.index(step)
    if then == CHECK or index == len(STEP_KEYS) - 1:
        return CHECK
    return STEP_KEYS[index + 1]


def _save_step(request, round_, step, application=None, token=None):
    """Validate one step and save it into the draft; keep what was typed on every error."""
    then = CHECK if request.POST.get("then") == CHECK else ""
    form = ApplicationForm(
        request.POST, request.FILES, instance=application, round=round_, step=step
    )
    if application is None and not round_.is_open():
        form.is_valid()
        form.add_error(
            None,
            _("Intake for %(round)s is not open, so no application can be started or submitted.")
            % {"round": round_.name},
        )
        return _step_page(request, round_, step, form, status=409)
    refusal = limit_form(request, form, APPLY_LIMIT)
    if refusal is not None or not form.is_valid():
        return refuse(
            _step_page(request, round_, step, form, application, token, then=then), refusal
        )
    created = application is None
    try:
        application = services.application_save_draft(
            round=round_,
            fields=form.model_fields(),
            municipalities=(
                form.cleaned_data.get("municipalities") or []
                if "municipalities" in form.fields else None
            ),
            budget=form.cleaned_data.get("budget"),
            uploads=form.cleaned_data.get("attachments") or [],
            remove_attachments=form.cleaned_data.get("remove_attachments") or [],
            application=application,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _step_page(request, round_, step, form, application, token, then=then)
    token = token or services.application_token(application)
    if created:
        if application.draft_link_sent:
            text = _(
                "Your draft is saved. We emailed a private link to %(email)s so you can come "
                "back to it; you may also bookmark this page."
            )
        else:
            text = _(
                "Your draft is saved. We could not email its link to %(email)s just now (that "
                "address has had many emails from us this hour), so bookmark this page: its "
                "address is your private link to come back to the draft."
            )
        messages.success(request, text % {"email": application.contact_email})
    else:
        messages.success(
            request, _("Your answers on “%(step)s” are saved.") % {"step": STEPS_BY_KEY[step].title}
        )
    following = _after_save(step, then)
    if following == CHECK:
        return redirect("grants:resume", token)
    return redirect("grants:step", token, following)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@form_when_database_down(_form_without_database)
def apply(request, round_slug):
    """Start an application: its first step, which makes the draft and its private link."""
    round_ = Round.objects.select_related("fund").filter(slug=round_slug).first()
    if round_ is None:
        return render(request, "grants/round_unknown.html", status=404)
    if request.method == "POST":
        return _save_step(request, round_, STEP_KEYS[0])
    if not round_.is_open():
        return render(request, "grants/round_closed.html", {"round": round_})
    form = ApplicationForm(round=round_, step=STEP_KEYS[0])
    return _step_page(request, round_, STEP_KEYS[0], form)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@form_when_database_down(_form_without_database)
def apply_step(request, token, step):
    """Show or save one step of a draft. ``?check=1`` (where a refused submission leads) shows
    the step's saved answers with what a submission still lacks."""
    if step not in STEPS_BY_KEY:
        raise Http404
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    if application.state != State.DRAFT:
        return redirect("grants:status", token)
    round_ = application.round
    if request.method == "POST":
        return _save_step(request, round_, step, application, token)
    if request.GET.get("check"):
        form = ApplicationForm.for_saved_answers(application, step=step)
        form.is_valid()
        return _step_page(request, round_, step, form, application, token, then=CHECK,
                          submitting=True)
    then = CHECK if request.GET.get("then") == CHECK else ""
    form = ApplicationForm(instance=application, round=round_, step=step)
    return _step_page(request, round_, step, form, application, token, then=then)


def _check_page(request, application, token, form=None, status=200):
    return render(
        request,
        "grants/check.html",
        {
            "round": application.round,
            "application": application,
            "token": token,
            "form": form,
            "sections": answer_sections(application),
            # What a submission would refuse, said before the applicant presses Submit.
            "problems": [
                {"form": problem,
                 "url": reverse("grants:step", args=[token, problem.step.key]) + "?check=1"}
                for problem in step_problems(application)
            ],
            "steps": _step_links(application, token),
            "step_count": len(STEPS) + 1,
            "number": len(STEPS) + 1,
            "back_url": reverse("grants:step", args=[token, STEP_KEYS[-1]]),
            "is_open": application.round.is_open(),
        },
        status=status,
    )


@never_cache
@require_safe
def resume(request, token):
    """Show a draft's answers, each with a link to change it, and the button to submit."""
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    if application.state != State.DRAFT:
        return redirect("grants:status", token)
    return _check_page(request, application, token)


@never_cache
@require_POST
def submit(request, token):
    """Submit a draft; a draft a submission would refuse leads to the step that lacks something."""
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    if application.state != State.DRAFT:
        return redirect("grants:status", token)
    form = SubmitForm(request.POST)
    refusal = limit_form(request, form, APPLY_LIMIT)
    if refusal is not None:
        return refuse(_check_page(request, application, token, form), refusal)
    problem = first_problem(application)
    if problem is not None:
        url = reverse("grants:step", args=[token, problem.step.key])
        return redirect(f"{url}?check=1")
    try:
        application = services.application_submit(application=application)
    except ValidationError as exc:
        # The draft is kept; the applicant lands on it with the reason.
        for message in exc.messages:
            messages.error(request, message)
        return redirect("grants:resume", token)
    messages.success(
        request,
        _(
            "Thank you: your application is submitted. Its reference number is %(reference)s. "
            "We emailed a confirmation to %(email)s."
        )
        % {"reference": application.reference, "email": application.contact_email},
    )
    return redirect("grants:status", token)


@never_cache
@require_safe
def status(request, token):
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    if application.state == State.DRAFT:
        return redirect("grants:resume", token)
    return _status_page(request, application, token, WithdrawForm())


def _status_page(request, application, token, withdraw_form, status=200):
    events = application.events.exclude(
        transition__in=["assign_reviewer", "declare_conflict", "declare_no_conflict", "score",
                        "rescore"]
    )
    award = Award.objects.filter(application=application).first()
    return render(
        request,
        "grants/status.html",
        {
            "application": application,
            "token": token,
            "events": events,
            "award": award,
            "reports": list(award.reports.all()) if award else [],
            "can_withdraw": permissions.applicant_can_withdraw(application),
            "withdraw_form": withdraw_form,
        },
        status=status,
    )


def _submitted_from_token(request, token):
    """Return (application, None) for a submitted application's link, or (None, the response
    to give instead: the bad-link page, or the draft's own page)."""
    application = _application_from_token(token)
    if application is None:
        return None, _bad_link(request)
    if application.state == State.DRAFT:
        return None, redirect("grants:resume", token)
    return application, None


def _copy_context(application, token=None) -> dict:
    award = Award.objects.filter(application=application).first()
    return {
        "application": application,
        "token": token,
        "award": award,
        "reports": list(award.reports.all()) if award else [],
        "sections": answer_sections(application),
    }


@never_cache
@require_safe
def answers(request, token):
    """Show the applicant a copy of what they submitted, with their reports' due dates."""
    application, response = _submitted_from_token(request, token)
    if application is None:
        return response
    return render(request, "grants/answers.html", _copy_context(application, token))


@never_cache
@require_safe
def answers_pdf(request, token):
    """Return the copy of the submitted answers as a tagged PDF, written on each request."""
    application, response = _submitted_from_token(request, token)
    if application is None:
        return response
    context = {**_copy_context(application), "SITE_URL": settings.SITE_URL,
               "SITE_NAME": settings.SITE_NAME}
    try:
        content = render_pdf("grants/answers_pdf.html", context,
                             stylesheets=["css/grants-answers-pdf.css"])
    except PdfError:
        messages.error(request, _(
            "We could not make the PDF just now. The page below holds the same answers: you "
            "can print it or save it from your browser."
        ))
        return redirect("grants:answers", token)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{application.reference or "application"}-answers.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@require_POST
def withdraw(request, token):
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    form = WithdrawForm(request.POST)
    if not permissions.applicant_can_withdraw(application):
        messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("grants:status", token)
    refusal = limit_form(request, form, WITHDRAW_LIMIT)
    if refusal is not None or not form.is_valid():
        return refuse(_status_page(request, application, token, form, status=400), refusal)
    services.application_transition(
        application=application, name="withdraw", user=None, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("Your application is withdrawn."))
    return redirect("grants:status", token)


def _file_response(attachment: Attachment):
    path = services.attachment_path(attachment)
    if not path.is_file():
        raise Http404(_("This file is no longer available."))
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def applicant_attachment(request, token, pk):
    application = _application_from_token(token)
    if application is None:
        return _bad_link(request)
    attachment = get_object_or_404(Attachment, pk=pk, application=application)
    return _file_response(attachment)


@require_safe
def attachment(request, pk):
    """Serve an attachment to grant staff and to reviewers assigned without a conflict."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = get_object_or_404(Attachment.objects.select_related("application"), pk=pk)
    if not permissions.can_download_attachment(request.user, attachment):
        raise PermissionDenied
    return _file_response(attachment)


def _funded_awards(year: int):
    return (
        Award.objects.filter(
            application__round__funding_year=year,
            application__state__in=FUNDED_STATES,
            application__publish_consent=True,
        )
        .select_related("application", "application__round")
        .prefetch_related(
            Prefetch(
                "application__municipalities",
                queryset=Geography.objects.order_by("order", "name"),
            )
        )
        .order_by("application__org_legal_name", "application__program_title")
    )


@require_safe
@public_page(query={"page": page_number})
def funded(request, year):
    rounds = list(Round.objects.filter(funding_year=year))
    if not rounds:
        raise Http404(_("No intake funds programs in %(year)s.") % {"year": year})
    awards = _funded_awards(year)
    all_funded = Award.objects.filter(
        application__round__funding_year=year, application__state__in=FUNDED_STATES
    )
    page = Paginator(awards, 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "grants/funded.html",
        {
            "year": year,
            "rounds": rounds,
            "page": page,
            "listed_total": sum((a.amount for a in awards), 0),
            "unlisted": all_funded.count() - awards.count(),
            # Results announced before the portal (2024) are a sentence, not rows to list.
            "summary_only": not all_funded.exists() and any(r.results_note for r in rounds),
        },
    )
    return not_kept_unless_shown(response, request, page)


@require_safe
def funded_csv(request, year):
    if not Round.objects.filter(funding_year=year).exists():
        raise Http404
    rows = (
        (
            award.application.org_legal_name,
            award.application.program_title,
            award.amount,
            award.years,
            "; ".join(m.name for m in award.application.municipalities.all()),
            award.application.round.name,
        )
        for award in _funded_awards(year)
    )
    return csv_response(
        f"bsc-funded-programs-{year}.csv",
        [
            _("Organization"),
            _("Program"),
            _("Amount (CAD)"),
            _("Years"),
            _("Municipalities served"),
            _("Intake"),
        ],
        rows,
    )
