"""Writes for grants: drafts, submission, workflow transitions, reviews, decisions, reminders.

Every change of state goes through ``application_transition``; every email goes through the
outbox inside the same transaction as the change that causes it.
"""

import datetime
import secrets
import uuid
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cswb.lib.links import LIFETIMES
from cswb.lib.ratelimit import recipient_allows
from cswb.outbox.models import Message
from cswb.outbox.services import message_queue, messages_forget
from grants import permissions
from grants.models import (
    LINK_PURPOSE,  # noqa: F401 - the views read links with it
    MAX_ATTACHMENTS,
    ZERO,
    Application,
    Attachment,
    Award,
    BudgetLine,
    Event,
    Fund,
    ReferenceCounter,
    Report,
    Review,
    Round,
    Score,
)
from grants.workflow import WORKFLOW, State, grant_staff_emails

# Every email to the applicant carries a fresh link, and /grants/applications/new-link/ sends
# new ones, so a link need not outlive the key-rotation period (cswb/lib/links.py).
LINK_MAX_AGE = LIFETIMES[LINK_PURPOSE]
REFERENCE_PREFIX = "BSC"
REMIND_DAYS_BEFORE = 14


# Links and recipients --------------------------------------------------------------------------


def application_token(application: Application) -> str:
    return application.private_token()


def application_link(application: Application) -> str:
    """Return the absolute private link: the form while a draft, the status page afterwards."""
    return application.private_link()


def _record(application, *, name, from_state, to_state, user, reason="", data=None, now=None):
    """Record a step that keeps the state (assignment, declaration, scores)."""
    return WORKFLOW.record(
        application, name=name, by=user, text=reason, data=data, from_state=from_state,
        to_state=to_state, now=now,
    )


def links_send(*, email: str, now=None) -> int:
    """Email fresh private links to every application of ``email``; at most once an hour.

    Return how many applications were found; the caller must not tell the visitor (that would
    reveal who has applied).
    """
    now = now or timezone.now()
    applications = list(
        Application.objects.filter(contact_email__iexact=email.strip())
        .select_related("round")
        .order_by("-created_at")[:20]
    )
    if applications:
        hour = int(now.timestamp() // 3600)
        message_queue(
            to=applications[0].contact_email,
            template="grants-links",
            context={
                "items": [
                    {"application": a, "link": application_link(a)} for a in applications
                ],
            },
            kind="grants.links",
            dedupe_key=f"grants:links:{email.strip().lower()}:{hour}",
        )
    return len(applications)


@transaction.atomic
def application_links_revoke(*, application: Application, user) -> Event:
    """End every private link of ``application`` and email the contact new ones.

    The application gets a new ``public_id``, so links made with the old one open nothing; the
    event records who did it and when. Raise ``PermissionDenied`` unless ``user`` runs grants.
    """
    if not permissions.can_manage_grants(user):
        raise PermissionDenied(_("Only grant staff may revoke an applicant's links."))
    locked = Application.objects.select_for_update().select_related("round").get(
        pk=application.pk
    )
    locked.public_id = uuid.uuid4()
    locked.save(update_fields=["public_id", "updated_at"])
    application.public_id = locked.public_id
    event = _record(locked, name="revoke_links", from_state=locked.state,
                    to_state=locked.state, user=user)
    message_queue(
        to=locked.contact_email,
        template="grants-links",
        context={"items": [{"application": locked, "link": application_link(locked)}]},
        kind="grants.links",
        dedupe_key=f"grants:links:revoked:{locked.pk}:{event.pk}",
    )
    return event


# Drafts and attachments ------------------------------------------------------------------------


def attachment_root() -> Path:
    return Path(settings.PRIVATE_MEDIA_ROOT) / "grants"


def attachment_path(attachment: Attachment) -> Path:
    """Return where the file lives; refuse any stored name that would leave the folder."""
    root = attachment_root().resolve()
    name = attachment.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise PermissionDenied("Bad attachment name")
    path = (root / name).resolve()
    if path.parent != root:
        raise PermissionDenied("Bad attachment path")
    return path


def attachment_store(*, application: Application, upload, content_type: str) -> Attachment:
    """Write an uploaded file under a random name and record it."""
    root = attachment_root()
    root.mkdir(parents=True, exist_ok=True)
    suffix = Path(upload.name).suffix.lower()[:10]
    stored_name = secrets.token_hex(24) + suffix
    with open(root / stored_name, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    attachment = Attachment.objects.create(
        application=application,
        original_name=Path(upload.name).name[:255],
        stored_name=stored_name,
        content_type=content_type,
        size=upload.size,
    )
    return attachment


def attachment_delete(*, attachment: Attachment) -> None:
    """Delete the row; the file goes after commit (``grants.apps.remove_attachment_file``)."""
    attachment.delete()


@transaction.atomic
def application_save_draft(
    *,
    round: Round,
    fields: dict,
    municipalities=None,
    budget: dict[tuple[str, int], Decimal] | None = None,
    uploads: list = (),
    remove_attachments=(),
    application: Application | None = None,
) -> Application:
    """Create or update a draft with what the applicant typed; email the private link once.

    ``fields`` holds the model's attributes to set; ``municipalities`` and ``budget`` replace
    the saved ones unless None (a step of the form that does not ask for them).

    The application's row is locked first, so two saves of one draft at once cannot together
    pass the limit of ``MAX_ATTACHMENTS`` files, which is checked here whoever calls.
    """
    if application is None:
        application = Application(round=round)
    else:
        state = (
            Application.objects.select_for_update().filter(pk=application.pk)
            .values_list("state", flat=True).first()
        )
        if state != State.DRAFT:
            raise ValidationError(
                _("This application has been submitted and can no longer be changed."),
                code="not_draft",
            )
    for name, value in fields.items():
        setattr(application, name, value)
    application.save()
    if municipalities is not None:
        application.municipalities.set(municipalities)
    if budget is not None:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(application=application, category=category, year=year, amount=amount)
            for (category, year), amount in sorted(budget.items())
            if amount
        )
    removing = {int(pk) for pk in remove_attachments if str(pk).isdigit()}
    for attachment in application.attachments.filter(pk__in=removing):
        attachment_delete(attachment=attachment)
    count = application.attachments.count() + len(uploads)
    if count > MAX_ATTACHMENTS:
        raise ValidationError(
            _("Send at most %(max)s files in all; this would make %(count)s."),
            code="too_many",
            params={"max": MAX_ATTACHMENTS, "count": count},
        )
    for upload, content_type in uploads:
        attachment_store(application=application, upload=upload, content_type=content_type)
    # The link goes once per draft and address; the address was typed by a visitor, so at most
    # a few such emails reach one mailbox (cswb.lib.ratelimit). ``draft_link_sent`` tells the
    # caller whether the applicant has it by email.
    dedupe_key = f"grants:draft-link:{application.pk}:{application.contact_email.lower()}"
    application.draft_link_sent = Message.objects.filter(dedupe_key=dedupe_key).exists()
    if not application.draft_link_sent and recipient_allows(application.contact_email):
        message_queue(
            to=application.contact_email,
            template="grants-draft-link",
            context={
                "application": application,
                "link": application_link(application),
                "closes_at": round.closes_at,
            },
            kind="grants.draft_link",
            dedupe_key=dedupe_key,
        )
        application.draft_link_sent = True
    return application


def drafts_expire(*, now=None) -> int:
    """Delete drafts nobody has saved for ``GRANTS_DRAFT_EXPIRY_DAYS``, with their files and the
    emails that carried their link; return how many.

    Files go once the deletion commits (``grants.apps.remove_attachment_file``). A draft saved
    again meanwhile no longer matches the condition of the DELETE and is kept.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.GRANTS_DRAFT_EXPIRY_DAYS)
    deleted = 0
    expired = Application.objects.filter(state=State.DRAFT, updated_at__lt=cutoff)
    for pk in expired.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            count, _by_model = Application.objects.filter(
                pk=pk, state=State.DRAFT, updated_at__lt=cutoff
            ).delete()
            if count:
                messages_forget(dedupe_prefix=f"grants:draft-link:{pk}:")
                deleted += 1
    return deleted


# Submission ------------------------------------------------------------------------------------


def reference_allocate(*, now) -> str:
    """Return the next reference number of ``now``'s year, e.g. BSC-2026-0007.

    The year's counter row is locked until the caller's transaction ends, so two submissions at
    the same moment never receive the same number.
    """
    year = timezone.localtime(now).year
    return f"{REFERENCE_PREFIX}-{year}-{ReferenceCounter.take(year):04d}"


def application_submit(*, application: Application, now=None) -> Application:
    """Submit a complete draft while its round is open; the check uses the server's clock."""
    with transaction.atomic():
        # Lock only the application's row: the joined round must stay free for others.
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("round")
            .get(pk=application.pk)
        )
        now = now or timezone.now()
        round_ = application.round
        if application.state != State.DRAFT:
            raise ValidationError(
                _("This application was already submitted."), code="already_submitted"
            )
        if not round_.is_open(now):
            closes = date_format(timezone.localtime(round_.closes_at), "DATETIME_FORMAT")
            if now > round_.closes_at:
                message = _(
                    "Intake closed on %(closes)s (Toronto time), so this application cannot be "
                    "submitted. Your draft is kept."
                ) % {"closes": closes}
            else:
                message = _("Intake for this round has not opened yet. Your draft is kept.")
            raise ValidationError(message, code="round_closed")
        application.reference = reference_allocate(now=now)
        application.submitted_at = now
        application = application_transition(
            application=application, name="submit", user=None, now=now, locked=True
        )
    return application


# Workflow --------------------------------------------------------------------------------------


def application_transition(
    *,
    application: Application,
    name: str,
    user,
    reason: str = "",
    now=None,
    locked: bool = False,
    **inputs,
) -> Application:
    """Perform transition ``name`` through the workflow engine and return the application.

    ``user`` is None when the applicant acts through their private link. The engine checks the
    actor, changes the state, records who, when and why, and queues the table's emails.
    """
    WORKFLOW.perform(
        application, name, by=user, inputs={"reason": reason, **inputs}, now=now, locked=locked
    )
    return application


def reason_required(application, inputs, *, by, now):
    """Refuse a transition whose reason is kept in the history or sent to the applicant."""
    if not (inputs.get("reason") or "").strip():
        raise ValidationError(_("Give a reason."), code="reason_required")


def eligibility_check(application: Application) -> list[str]:
    """Return why ``application`` does not meet its round's eligibility; empty when it does."""
    round_ = application.round
    reasons = []
    if application.org_type not in round_.eligible_org_types:
        reasons.append(
            _("Organization type “%(type)s” is not eligible in this round.")
            % {"type": application.get_org_type_display() or _("not given")}
        )
    if (
        application.age_min is None
        or application.age_max is None
        or application.age_min < round_.min_age
        or application.age_max > round_.max_age
    ):
        reasons.append(
            _("Participants' ages (%(low)s to %(high)s) fall outside %(min)s to %(max)s.")
            % {
                "low": application.age_min,
                "high": application.age_max,
                "min": round_.min_age,
                "max": round_.max_age,
            }
        )
    if not application.municipalities.exists():
        reasons.append(_("The program serves no municipality in Halton."))
    if application.amount_requested is None or application.amount_requested > round_.max_request:
        reasons.append(
            _("The amount requested is over the round's maximum of $%(max)s.")
            % {"max": f"{round_.max_request:,.2f}"}
        )
    if application.duration_years not in round_.allowed_durations():
        reasons.append(_("The round does not allow a grant of this duration."))
    return reasons


def screening_apply(application, inputs, *, by, now):
    """Keep the eligibility check's findings with the screening decision."""
    if application.state == State.DECLINED:
        reason_required(application, inputs, by=by, now=now)
    return {"data": {"failed_checks": eligibility_check(application)}}


def application_screen(*, application: Application, user, eligible: bool, reason: str = ""):
    """Record the screening result with the eligibility check's reasons."""
    return application_transition(
        application=application,
        name="pass_screening" if eligible else "screen_out",
        user=user,
        reason=reason,
    )


# Reviews ---------------------------------------------------------------------------------------


@transaction.atomic
def reviewer_assign(*, application: Application, reviewer, user) -> Review:
    if not permissions.can_assign_reviewers(user, application):
        raise PermissionDenied(_("You may not assign reviewers to this application."))
    if not permissions.is_reviewer(reviewer):
        raise ValidationError(_("This person is not a grant reviewer."), code="not_reviewer")
    review, created = Review.objects.get_or_create(
        application=application, reviewer=reviewer, defaults={"assigned_by": user}
    )
    if not created:
        raise ValidationError(
            _("%(name)s is already assigned to this application.") % {"name": reviewer},
            code="already_assigned",
        )
    _record(
        application,
        name="assign_reviewer",
        from_state=application.state,
        to_state=application.state,
        user=user,
        data={"reviewer": reviewer.get_username()},
    )
    if reviewer.email:
        message_queue(
            to=reviewer.email,
            template="grants-reviewer-assigned",
            context={
                "application": application,
                "link": settings.SITE_URL
                + reverse("admin:grants_review_change", args=[review.pk]),
            },
            kind="grants.reviewer_assigned",
            dedupe_key=f"grants:assigned:{review.pk}",
        )
    return review


@transaction.atomic
def review_declare(*, review: Review, user, conflict: bool, note: str = "") -> Review:
    """Record the reviewer's conflict-of-interest declaration; a conflict ends their part."""
    if not permissions.can_review(user, review) or review.conflict != Review.Conflict.PENDING:
        raise PermissionDenied(_("You may not declare on this review."))
    review.conflict = Review.Conflict.DECLARED if conflict else Review.Conflict.NONE
    review.conflict_note = note.strip()
    review.save(update_fields=["conflict", "conflict_note"])
    _record(
        review.application,
        name="declare_conflict" if conflict else "declare_no_conflict",
        from_state=review.application.state,
        to_state=review.application.state,
        user=user,
        reason=review.conflict_note,
    )
    return review


@transaction.atomic
def review_score(*, review: Review, user, scores: dict, comment: str, now=None) -> Review:
    """Store the reviewer's 0-5 score on each of the round's criteria and their comments."""
    if not permissions.can_review(user, review) or review.conflict != Review.Conflict.NONE:
        raise PermissionDenied(_("You may not score this application."))
    criteria = list(review.application.round.criteria.all())
    missing = [c.name for c in criteria if scores.get(c.pk) is None]
    if missing:
        raise ValidationError(
            _("Score every criterion: %(names)s.") % {"names": ", ".join(missing)},
            code="missing_scores",
        )
    for criterion in criteria:
        value = int(scores[criterion.pk])
        if not 0 <= value <= 5:
            raise ValidationError(_("Scores go from 0 to 5."), code="score_range")
        Score.objects.update_or_create(
            review=review, criterion=criterion, defaults={"value": value}
        )
    first = review.submitted_at is None
    review.comment = comment.strip()
    review.submitted_at = now or timezone.now()
    review.save(update_fields=["comment", "submitted_at"])
    _record(
        review.application,
        name="score" if first else "rescore",
        from_state=review.application.state,
        to_state=review.application.state,
        user=user,
        data={"total": review.total()},
    )
    return review


def review_summary(application: Application) -> dict:
    """Return each criterion's average score and the average total (two queries)."""
    scores = Score.objects.filter(
        review__application=application,
        review__conflict=Review.Conflict.NONE,
        review__submitted_at__isnull=False,
    )
    by_criterion = {
        row["criterion"]: row["average"]
        for row in scores.values("criterion").annotate(average=Avg("value"))
    }
    criteria = list(application.round.criteria.all())
    rows = [{"criterion": c, "average": by_criterion.get(c.pk)} for c in criteria]
    totals = list(
        scores.values("review").annotate(total=Sum("value")).values_list("total", flat=True)
    )
    return {
        "rows": rows,
        "reviews": len(totals),
        "average_total": (sum(totals) / len(totals)) if totals else None,
        "max_total": 5 * len(criteria),
    }


# Decisions and money ---------------------------------------------------------------------------


def default_report_dates(round_: Round, years: int, decided_on: datetime.date):
    """Return (interim, final) due dates: halfway through the program and 60 days after it."""
    start = max(round_.program_starts_on, decided_on)
    end = min(
        round_.program_ends_on,
        datetime.date(start.year + years, start.month, 1) - datetime.timedelta(days=1),
    )
    if end <= start:
        end = round_.program_ends_on
    interim = start + (end - start) / 2
    return interim, end + datetime.timedelta(days=60)


def _committed(fund: Fund) -> Decimal:
    return fund.committed()


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Call this inside the transaction that saves the change.")


def fund_allocation_check(*, fund: Fund, total_allocation: Decimal) -> None:
    """Refuse a total allocation below what the fund has already committed.

    Lock the fund's row first, as ``application_approve`` does, and keep it until the caller's
    transaction ends: an approval running meanwhile either commits its award before this
    reads the committed total, or waits until the new allocation is saved and checks against
    it. Call inside the transaction that saves the fund (the admin's change view is one).
    """
    _require_transaction()
    locked = Fund.objects.select_for_update().get(pk=fund.pk)
    committed = _committed(locked)
    if total_allocation < committed:
        raise ValidationError(
            _("This fund has already committed $%(committed)s; its allocation cannot be less.")
            % {"committed": f"{committed:,.2f}"},
            code="below_committed",
        )


def round_amount_check(*, round_: Round, fund: Fund, amount_available: Decimal) -> None:
    """Refuse an amount below what the round has already awarded, or moving a round that has
    awards to another fund. Lock the funds' rows as approvals do (see
    ``fund_allocation_check``); call inside the transaction that saves the round.
    """
    _require_transaction()
    fund_ids = sorted({round_.fund_id, fund.pk})
    # In one order, so two edits locking the same two funds cannot deadlock.
    list(Fund.objects.select_for_update().filter(pk__in=fund_ids).order_by("pk"))
    awarded = (
        Award.objects.filter(application__round=round_).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if fund.pk != round_.fund_id and awarded:
        raise ValidationError(
            _("This round already has awards from its fund; it cannot move to another."),
            code="round_has_awards",
        )
    if amount_available < awarded:
        raise ValidationError(
            _("This round has already awarded $%(awarded)s; its amount cannot be less.")
            % {"awarded": f"{awarded:,.2f}"},
            code="below_awarded",
        )


def application_approve(
    *,
    application: Application,
    user,
    amount: Decimal,
    years: int,
    reason: str = "",
    interim_due: datetime.date,
    final_due: datetime.date,
) -> Award:
    """Approve with an amount and years, never committing more than the fund has left."""
    application_transition(
        application=application, name="approve", user=user, reason=reason, amount=amount,
        years=years, interim_due=interim_due, final_due=final_due,
    )
    return Award.objects.get(application=application)


def approval_apply(application, inputs, *, by, now):
    """Check the money and create the award and its reports (the approve transition).

    The application's row is already locked by the engine; the fund's row is locked here, so a
    second approval from the same fund waits until the first commits, then sees its award in
    the committed total.
    """
    amount, years = inputs.get("amount"), inputs.get("years")
    round_ = Round.objects.get(pk=application.round_id)
    fund = Fund.objects.select_for_update().get(pk=round_.fund_id)
    if amount is None or amount <= ZERO:
        raise ValidationError(_("Enter an amount above zero."), code="amount")
    if years not in round_.allowed_durations():
        raise ValidationError(
            _("This round allows grants of %(years)s year(s) only.")
            % {"years": " or ".join(str(y) for y in round_.allowed_durations())},
            code="years",
        )
    if amount > round_.max_request:
        raise ValidationError(
            _("The amount is over the round's maximum of $%(max)s.")
            % {"max": f"{round_.max_request:,.2f}"},
            code="over_max",
        )
    remaining = fund.total_allocation - _committed(fund)
    if amount > remaining:
        raise ValidationError(
            _(
                "Approving $%(amount)s would commit more than the fund has left "
                "($%(remaining)s of $%(total)s)."
            )
            % {
                "amount": f"{amount:,.2f}",
                "remaining": f"{remaining:,.2f}",
                "total": f"{fund.total_allocation:,.2f}",
            },
            code="over_fund",
        )
    round_committed = (
        Award.objects.filter(application__round=round_).aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    if amount > round_.amount_available - round_committed:
        raise ValidationError(
            _("Approving $%(amount)s would go over this round's $%(available)s.")
            % {
                "amount": f"{amount:,.2f}",
                "available": f"{round_.amount_available:,.2f}",
            },
            code="over_round",
        )
    award = Award.objects.create(
        application=application, fund=fund, amount=amount, years=years, decided_by=by,
        decided_at=now,
    )
    Report.objects.bulk_create(
        [
            Report(award=award, kind=Report.Kind.INTERIM, due_on=inputs["interim_due"]),
            Report(award=award, kind=Report.Kind.FINAL, due_on=inputs["final_due"]),
        ]
    )
    return {
        "data": {"amount": str(amount), "years": years},
        "context": {"approved": True, "award": award},
    }


# Reporting -------------------------------------------------------------------------------------


def reports_remind(*, today: datetime.date | None = None) -> dict:
    """Remind contacts of reports due soon and tell staff of overdue ones, each only once."""
    today = today or timezone.localdate()
    pending = Report.objects.filter(
        received_on__isnull=True,
        award__application__state__in=[State.APPROVED, State.REPORTING],
    ).select_related("award__application")
    counts = {"reminded": 0, "overdue": 0}
    staff = grant_staff_emails()
    for report in pending.filter(
        due_on__gte=today, due_on__lte=today + datetime.timedelta(days=REMIND_DAYS_BEFORE)
    ):
        application = report.award.application
        with transaction.atomic():
            queued = message_queue(
                to=application.contact_email,
                template="grants-report-reminder",
                context={"application": application, "report": report},
                kind="grants.report_reminder",
                dedupe_key=f"grants:report-due:{report.pk}",
            )
        counts["reminded"] += queued is not None
    for report in pending.filter(due_on__lt=today):
        application = report.award.application
        for email in staff:
            with transaction.atomic():
                queued = message_queue(
                    to=email,
                    template="grants-report-overdue",
                    context={"application": application, "report": report},
                    kind="grants.report_overdue",
                    dedupe_key=f"grants:report-overdue:{report.pk}:{email.lower()}",
                )
            counts["overdue"] += queued is not None
    return counts
