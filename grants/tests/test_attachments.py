import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grants import services
from grants.forms import MAX_ATTACHMENT_BYTES
from grants.models import Application, Attachment, Review
from grants.tests.factories import (
    ApplicationFactory,
    RoundFactory,
    SubmittedApplicationFactory,
    form_data,
)
from grants.workflow import State

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    import openpyxl

    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.fixture
def round_():
    return RoundFactory()


@pytest.fixture
def draft(round_):
    return ApplicationFactory(round=round_)


def budget_url(application):
    return reverse("grants:step", args=[services.application_token(application), "budget"])


def post(client, draft, started, files, **overrides):
    """Save the budget step of ``draft``, where files are sent, with ``files``."""
    data = form_data(started, **overrides)
    data["attachments"] = files
    return client.post(budget_url(draft), data)


def test_it_stores_allowed_files_privately_under_random_names(client, draft, started, settings):
    files = [upload("plan.pdf", PDF), upload("letter.docx", docx_bytes()),
             upload("budget.xlsx", xlsx_bytes()), upload("logo.png", PNG)]
    response = post(client, draft, started, files)
    assert response.status_code == 302
    attachments = list(Attachment.objects.order_by("original_name"))
    assert [a.original_name for a in attachments] == [
        "budget.xlsx", "letter.docx", "logo.png", "plan.pdf"]
    for attachment in attachments:
        path = services.attachment_path(attachment)
        assert path.parent == (settings.PRIVATE_MEDIA_ROOT / "grants").resolve()
        assert attachment.original_name.split(".")[0] not in path.name
        assert len(path.stem) == 48
        assert path.is_file()
    assert "/media/" not in str(settings.PRIVATE_MEDIA_ROOT)


def test_it_refuses_a_file_over_10_mb_and_keeps_the_rest(client, draft, started):
    big = upload("big.pdf", PDF + b"0" * (MAX_ATTACHMENT_BYTES - len(PDF) + 1))
    response = post(client, draft, started, [big])
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["attachments"])
    assert "“big.pdf” is 10.0\xa0MB; each file may be at most 10 MB." in errors
    assert 'value="40000"' in response.content.decode()  # the budget as typed
    assert not Attachment.objects.exists()


def test_it_refuses_more_than_five_files(client, draft, started):
    files = [upload(f"doc{n}.pdf", PDF) for n in range(6)]
    response = post(client, draft, started, files)
    assert "at most 5 files in all; this would make 6" in " ".join(
        response.context["form"].errors["attachments"])
    assert not Attachment.objects.exists()


def test_it_counts_files_already_sent_against_the_limit(client, draft, started):
    post(client, draft, started, [upload(f"doc{n}.pdf", PDF) for n in range(4)])
    application = Application.objects.get()
    url = budget_url(application)
    data = form_data(started)
    data["attachments"] = [upload("a.pdf", PDF), upload("b.pdf", PDF)]
    response = client.post(url, data)
    assert "this would make 6" in " ".join(response.context["form"].errors["attachments"])
    first = application.attachments.first()
    data["attachments"] = [upload("a.pdf", PDF), upload("b.pdf", PDF)]
    data["remove_attachments"] = [str(first.pk)]
    response = client.post(url, data)
    assert response.status_code == 302
    assert application.attachments.count() == 5
    assert not Attachment.objects.filter(pk=first.pk).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200),  # a program pretending to be a PDF
        ("photo.png", PDF),
        ("letter.docx", zipfile.ZipFile.__name__.encode() * 10),
        ("budget.xlsx", docx_bytes()),
    ],
)
def test_it_refuses_a_file_whose_content_is_not_what_its_name_says(
    client, draft, started, name, content
):
    response = post(client, draft, started, [upload(name, content)])
    errors = " ".join(response.context["form"].errors["attachments"])
    assert f"“{name}” does not contain what its name says" in errors
    assert not Attachment.objects.exists()


def test_it_refuses_a_type_it_does_not_accept(client, draft, started):
    response = post(client, draft, started, [upload("notes.txt", b"hello")])
    assert "not a file type we accept" in " ".join(
        response.context["form"].errors["attachments"])


def test_it_strips_folders_from_uploaded_names(client, draft, started):
    post(client, draft, started, [upload("../../etc/plan.pdf", PDF)])
    attachment = Attachment.objects.get()
    assert attachment.original_name == "plan.pdf"


# Serving ---------------------------------------------------------------------------------------


@pytest.fixture
def stored(client, draft, started):
    post(client, draft, started, [upload("plan.pdf", PDF)])
    application = Application.objects.get()
    application.state = State.IN_REVIEW
    application.save()
    client.logout()
    return Attachment.objects.get()


def test_it_serves_an_attachment_to_grant_staff(client, stored, grant_staff_user):
    client.force_login(grant_staff_user)
    response = client.get(reverse("grants:attachment", args=[stored.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert 'attachment; filename="plan.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


def test_it_serves_an_attachment_to_an_assigned_reviewer_without_conflict(
    client, stored, reviewer_user
):
    review = Review.objects.create(application=stored.application, reviewer=reviewer_user)
    client.force_login(reviewer_user)
    url = reverse("grants:attachment", args=[stored.pk])
    assert client.get(url).status_code == 403  # nothing before the declaration
    review.conflict = Review.Conflict.NONE
    review.save()
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("who", ["outsider", "lead", "triage", "steward", "reviewer"])
def test_it_refuses_an_attachment_to_anyone_else(client, stored, role_users, who):
    client.force_login(role_users[who])
    assert client.get(reverse("grants:attachment", args=[stored.pk])).status_code == 403


def test_it_refuses_an_attachment_to_a_reviewer_with_a_conflict(client, stored, reviewer_user):
    Review.objects.create(application=stored.application, reviewer=reviewer_user,
                          conflict=Review.Conflict.DECLARED)
    client.force_login(reviewer_user)
    assert client.get(reverse("grants:attachment", args=[stored.pk])).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, stored):
    response = client.get(reverse("grants:attachment", args=[stored.pk]))
    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_it_serves_the_applicant_their_own_files_through_their_link(client, stored):
    token = services.application_token(stored.application)
    response = client.get(reverse("grants:applicant_attachment", args=[token, stored.pk]))
    assert response.status_code == 200
    other = SubmittedApplicationFactory()
    other_token = services.application_token(other)
    response = client.get(reverse("grants:applicant_attachment", args=[other_token, stored.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("bad", ["../../settings.py", "..", ".hidden", "a/b", "a\\b", ""])
def test_it_refuses_a_stored_name_that_would_leave_the_folder(client, stored, bad,
                                                             grant_staff_user):
    Attachment.objects.filter(pk=stored.pk).update(stored_name=bad or "x/..")
    client.force_login(grant_staff_user)
    assert client.get(reverse("grants:attachment", args=[stored.pk])).status_code == 403


def test_it_deletes_the_files_when_the_application_is_deleted(
    client, draft, started, django_capture_on_commit_callbacks
):
    post(client, draft, started, [upload("plan.pdf", PDF)])
    application = Application.objects.get()
    path = services.attachment_path(application.attachments.get())
    assert path.is_file()
    with django_capture_on_commit_callbacks(execute=True):
        application.delete()
    assert not path.exists()


def test_repeating_a_removal_does_not_make_room_for_more_files(client, draft, started):
    post(client, draft, started, [upload(f"doc{n}.pdf", PDF) for n in range(5)])
    application = Application.objects.get()
    url = budget_url(application)
    first = application.attachments.first()
    data = form_data(started)
    data["attachments"] = [upload(f"new{n}.pdf", PDF) for n in range(5)]
    data["remove_attachments"] = [str(first.pk)] * 5
    response = client.post(url, data)
    assert response.status_code == 200
    assert "this would make 9" in " ".join(response.context["form"].errors["attachments"])
    assert application.attachments.count() == 5


def test_the_service_caps_the_files_of_an_application_whoever_calls_it(round_):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from grants.tests.factories import ApplicationFactory

    application = ApplicationFactory(round=round_)
    for n in range(4):
        services.attachment_store(application=application, upload=upload(f"{n}.pdf", PDF),
                                  content_type="application/pdf")
    with pytest.raises(ValidationError, match="at most 5 files"):
        services.application_save_draft(
            round=round_, fields={}, municipalities=[], budget={("staff", 1): Decimal("1")},
            uploads=[(upload("a.pdf", PDF), "application/pdf"),
                     (upload("b.pdf", PDF), "application/pdf")],
            remove_attachments=["999999", "nope"],
            application=application,
        )
    assert application.attachments.count() == 4
