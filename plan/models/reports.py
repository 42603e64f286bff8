"""The yearly progress report (its HTML data and its PDF) and the reminders of the plan's
deadlines."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


class ProgressReportQuerySet(models.QuerySet):
    def published(self):
        return self.filter(state=ProgressReport.State.PUBLISHED)


class ProgressReport(models.Model):
    """The report on the plan's effect for one year, generated from the portal's data.

    ``data`` holds what the report shows, built by ``plan.reports.report_data`` when staff
    generate it; it is frozen when staff approve the report, which publishes it.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class PdfState(models.TextChoices):
        NONE = "none", _("Not requested")
        PENDING = "pending", _("Waiting to be written")
        RENDERING = "rendering", _("Being written")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    plan = models.ForeignKey(
        "plan.PlanVersion", on_delete=models.PROTECT, related_name="reports",
        verbose_name=_("plan version"),
    )
    year = models.PositiveSmallIntegerField(_("year reported on"))
    introduction = models.TextField(
        _("introduction"), help_text=_("A short introduction written by staff, shown first."),
    )
    data = models.JSONField(_("generated content"), default=dict, editable=False)
    generated_at = models.DateTimeField(_("generated"), null=True, editable=False)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DRAFT, editable=False,
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"), editable=False,
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    pdf_state = models.CharField(
        _("PDF"), max_length=12, choices=PdfState.choices, default=PdfState.NONE,
        editable=False,
    )
    pdf_error = models.TextField(_("PDF problem"), blank=True, editable=False)
    pdf_updated_at = models.DateTimeField(_("PDF state changed"), null=True, editable=False)

    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("yearly progress report")
        verbose_name_plural = _("yearly progress reports")
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="plan_report_one_per_year"),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False),
                name="plan_report_published_has_date",
            ),
        ]

    def __str__(self):
        return _("Progress report %(year)s") % {"year": self.year}

    def get_absolute_url(self):
        return reverse("plan:report", kwargs={"year": self.year})

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def pdf_ready(self) -> bool:
        return self.pdf_state == self.PdfState.READY

    def pdf_filename(self) -> str:
        return f"{self.plan.slug}-progress-report-{self.year}.pdf"


class ReportPdf(models.Model):
    """The PDF copy of a published report, kept apart so that lists never load its bytes."""

    report = models.OneToOneField(
        ProgressReport, on_delete=models.CASCADE, primary_key=True, related_name="pdf",
        verbose_name=_("report"),
    )
    content = models.BinaryField(_("PDF"))
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("written"), auto_now=True)

    class Meta:
        verbose_name = _("report PDF")
        verbose_name_plural = _("report PDFs")

    def __str__(self):
        return self.report.pdf_filename()


class Reminder(models.Model):
    """One email to administrators before one of the plan's deadlines.

    Rows are created by the daily task as their day comes; the task then *claims* each pending
    row with a conditional UPDATE before mailing, so a task that runs twice mails once.
    """

    class Kind(models.TextChoices):
        PUBLICATION = "publication", _("Publish the adopted plan")
        YEARLY_REPORT = "yearly-report", _("Publish the yearly progress report")
        REVIEW = "review", _("Review the plan")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")

    plan = models.ForeignKey(
        "plan.PlanVersion", on_delete=models.CASCADE, related_name="reminders",
        verbose_name=_("plan version"),
    )
    kind = models.CharField(_("deadline"), max_length=16, choices=Kind.choices)
    deadline = models.DateField(_("due"))
    send_on = models.DateField(_("send on"))
    lead = models.CharField(_("how long before"), max_length=40)
    state = models.CharField(
        _("state"), max_length=8, choices=State.choices, default=State.PENDING,
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-send_on"]
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "kind", "deadline", "send_on"], name="plan_reminder_once",
            ),
        ]
        indexes = [models.Index(fields=["state", "send_on"], name="plan_reminder_due")]

    def __str__(self):
        return f"{self.get_kind_display()} ({date_format(self.deadline)}, {self.lead})"
