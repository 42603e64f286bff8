"""Abandoned drafts are deleted, with their files, after GRANTS_DRAFT_EXPIRY_DAYS."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grants import services, tasks
from grants.models import Application, Attachment
from grants.tests.factories import ApplicationFactory, SubmittedApplicationFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _with_file(application):
    attachment = services.attachment_store(
        application=application, upload=SimpleUploadedFile("plan.pdf", PDF),
        content_type="application/pdf",
    )
    return services.attachment_path(attachment)


def test_abandoned_drafts_and_their_files_are_deleted(django_capture_on_commit_callbacks):
    days = settings.GRANTS_DRAFT_EXPIRY_DAYS
    old = ApplicationFactory()
    recent = ApplicationFactory()
    submitted = SubmittedApplicationFactory()
    paths = {app.pk: _with_file(app) for app in (old, recent, submitted)}
    Application.objects.filter(pk__in=[old.pk, submitted.pk]).update(
        updated_at=timezone.now() - timedelta(days=days, hours=1)
    )
    Application.objects.filter(pk=recent.pk).update(
        updated_at=timezone.now() - timedelta(days=days - 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_drafts() == 1
    assert set(Application.objects.values_list("pk", flat=True)) == {recent.pk, submitted.pk}
    assert not paths[old.pk].exists()
    assert paths[recent.pk].exists() and paths[submitted.pk].exists()
    assert Attachment.objects.count() == 2


def test_beat_runs_the_expiry_every_day():
    entry = settings.CELERY_BEAT_SCHEDULE["grants-expire-drafts"]
    assert entry["task"] == "grants.tasks.expire_drafts"
    assert entry["schedule"] <= 60 * 60 * 24
