import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cswb.outbox.models import Message
from grants import permissions, services
from grants.models import Application, Review
from grants.tests.factories import SubmittedApplicationFactory, scored_review
from grants.workflow import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def application():
    return SubmittedApplicationFactory(state=State.IN_REVIEW)


@pytest.fixture
def other_reviewer(make_staff):
    from cswb.accounts.roles import Role

    return make_staff("ruth-reviewer", Role.GRANT_REVIEWER)


def test_it_assigns_a_reviewer_and_tells_them(application, grant_staff_user, reviewer_user):
    review = services.reviewer_assign(
        application=application, reviewer=reviewer_user, user=grant_staff_user
    )
    assert review.conflict == Review.Conflict.PENDING
    assert review.assigned_by == grant_staff_user
    message = Message.objects.get(kind="grants.reviewer_assigned")
    assert message.to_email == reviewer_user.email
    assert application.events.get().transition == "assign_reviewer"


def test_it_refuses_to_assign_someone_who_is_not_a_reviewer(
    application, grant_staff_user, outsider_user
):
    with pytest.raises(ValidationError, match="not a grant reviewer"):
        services.reviewer_assign(
            application=application, reviewer=outsider_user, user=grant_staff_user
        )


def test_it_refuses_assignment_by_a_reviewer(application, reviewer_user, other_reviewer):
    with pytest.raises(PermissionDenied):
        services.reviewer_assign(
            application=application, reviewer=other_reviewer, user=reviewer_user
        )


def test_it_refuses_assignment_before_the_review_stage(grant_staff_user, reviewer_user):
    application = SubmittedApplicationFactory(state=State.SCREENING)
    with pytest.raises(PermissionDenied):
        services.reviewer_assign(
            application=application, reviewer=reviewer_user, user=grant_staff_user
        )


def test_it_shows_a_reviewer_nothing_before_the_declaration(application, reviewer_user):
    Review.objects.create(application=application, reviewer=reviewer_user)
    assert not permissions.can_view_application(reviewer_user, application)
    assert list(Application.objects.visible_to(reviewer_user)) == []


def test_it_opens_the_application_once_the_reviewer_declares_no_conflict(
    application, reviewer_user
):
    review = Review.objects.create(application=application, reviewer=reviewer_user)
    services.review_declare(review=review, user=reviewer_user, conflict=False)
    assert permissions.can_view_application(reviewer_user, application)
    assert list(Application.objects.visible_to(reviewer_user)) == [application]


def test_it_scores_on_every_criterion_with_comments(application, reviewer_user):
    review = Review.objects.create(application=application, reviewer=reviewer_user,
                                   conflict=Review.Conflict.NONE)
    criteria = list(application.round.criteria.all())
    scores = {c.pk: value for c, value in zip(criteria, [5, 4, 3, 2, 1], strict=True)}
    services.review_score(review=review, user=reviewer_user, scores=scores, comment="Good.")
    review.refresh_from_db()
    assert review.total() == 15
    assert review.comment == "Good."
    assert review.submitted_at is not None


def test_it_refuses_missing_or_out_of_range_scores(application, reviewer_user):
    review = Review.objects.create(application=application, reviewer=reviewer_user,
                                   conflict=Review.Conflict.NONE)
    criteria = list(application.round.criteria.all())
    with pytest.raises(ValidationError, match="Score every criterion"):
        services.review_score(review=review, user=reviewer_user,
                              scores={criteria[0].pk: 3}, comment="")
    with pytest.raises(ValidationError, match="0 to 5"):
        services.review_score(review=review, user=reviewer_user,
                              scores={c.pk: 6 for c in criteria}, comment="")


def test_it_stops_a_reviewer_with_a_conflict_from_scoring_or_seeing(
    application, reviewer_user, other_reviewer
):
    scored_review(application, other_reviewer, [4, 4, 4, 4, 4])
    review = Review.objects.create(application=application, reviewer=reviewer_user)
    services.review_declare(review=review, user=reviewer_user, conflict=True,
                            note="I sit on their board.")
    assert not permissions.can_view_application(reviewer_user, application)
    assert not permissions.can_see_all_scores(reviewer_user, application)
    assert not permissions.can_review(reviewer_user, review)
    with pytest.raises(PermissionDenied):
        services.review_score(
            review=review, user=reviewer_user,
            scores={c.pk: 5 for c in application.round.criteria.all()}, comment="",
        )
    assert application.events.get().transition == "declare_conflict"


def test_it_refuses_to_score_someone_elses_review(application, reviewer_user, other_reviewer):
    review = Review.objects.create(application=application, reviewer=other_reviewer,
                                   conflict=Review.Conflict.NONE)
    with pytest.raises(PermissionDenied):
        services.review_score(
            review=review, user=reviewer_user,
            scores={c.pk: 5 for c in application.round.criteria.all()}, comment="",
        )


def test_it_averages_the_reviews_for_staff(application, reviewer_user, other_reviewer,
                                           grant_staff_user):
    scored_review(application, reviewer_user, [5, 4, 3, 2, 1])
    scored_review(application, other_reviewer, [3, 4, 5, 4, 3])
    summary = services.review_summary(application)
    assert [row["average"] for row in summary["rows"]] == [4, 4, 4, 3, 2]
    assert summary["average_total"] == 17
    assert summary["reviews"] == 2
    assert summary["max_total"] == 25


def test_it_leaves_a_conflicted_review_out_of_the_averages(
    application, reviewer_user, other_reviewer
):
    scored_review(application, reviewer_user, [5, 5, 5, 5, 5])
    Review.objects.create(application=application, reviewer=other_reviewer,
                          conflict=Review.Conflict.DECLARED)
    assert services.review_summary(application)["average_total"] == 25


# Through the admin pages, by role ----------------------------------------------------------


def test_it_walks_a_reviewer_through_declaring_and_scoring(client, application, reviewer_user):
    review = Review.objects.create(application=application, reviewer=reviewer_user)
    client.force_login(reviewer_user)
    url = reverse("admin:grants_review_change", args=[review.pk])
    page = client.get(url)
    assert "Conflict of interest" in page.content.decode()
    assert "Weekly mentoring" not in page.content.decode()
    response = client.post(url, {"conflict": "no"})
    assert response.status_code == 302
    criteria = list(application.round.criteria.all())
    data = {f"score_{c.pk}": "4" for c in criteria} | {"comment": "Clear and measurable."}
    response = client.post(url, data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.total() == 20
    detail = client.get(reverse("admin:grants_application_change", args=[application.pk]))
    assert detail.status_code == 200
    assert "Weekly mentoring" in detail.content.decode()


def test_it_asks_a_reviewer_declaring_a_conflict_to_describe_it(
    client, application, reviewer_user
):
    review = Review.objects.create(application=application, reviewer=reviewer_user)
    client.force_login(reviewer_user)
    url = reverse("admin:grants_review_change", args=[review.pk])
    response = client.post(url, {"conflict": "yes", "note": ""})
    assert response.status_code == 200
    assert "Say briefly what the conflict is" in response.content.decode()
    review.refresh_from_db()
    assert review.conflict == Review.Conflict.PENDING


def test_it_hides_others_scores_from_a_conflicted_reviewer_in_the_admin(
    client, application, reviewer_user, other_reviewer
):
    scored_review(application, other_reviewer, [1, 2, 3, 4, 5], comment="Secret remark")
    review = Review.objects.create(application=application, reviewer=reviewer_user,
                                   conflict=Review.Conflict.DECLARED)
    client.force_login(reviewer_user)
    page = client.get(reverse("admin:grants_review_change", args=[review.pk]))
    assert "You declared a conflict" in page.content.decode()
    assert "Secret remark" not in page.content.decode()
    assert client.get(
        reverse("admin:grants_application_change", args=[application.pk])
    ).status_code in (302, 403, 404)
    listing = client.get(reverse("admin:grants_review_changelist"))
    assert "ruth-reviewer" not in listing.content.decode()
    response = client.post(reverse("admin:grants_review_change", args=[review.pk]),
                           {"comment": "x"})
    assert response.status_code == 403


def test_it_shows_a_reviewer_others_scores_only_after_their_own(
    client, application, reviewer_user, other_reviewer
):
    scored_review(application, other_reviewer, [1, 2, 3, 4, 5], comment="Other remark")
    review = Review.objects.create(application=application, reviewer=reviewer_user,
                                   conflict=Review.Conflict.NONE)
    client.force_login(reviewer_user)
    detail_url = reverse("admin:grants_application_change", args=[application.pk])
    assert "Other remark" not in client.get(detail_url).content.decode()
    services.review_score(review=review, user=reviewer_user,
                          scores={c.pk: 3 for c in application.round.criteria.all()},
                          comment="Mine")
    assert "Other remark" in client.get(detail_url).content.decode()


def test_it_lets_staff_see_each_review_and_the_averages(
    client, application, grant_staff_user, reviewer_user, other_reviewer
):
    scored_review(application, reviewer_user, [5, 4, 3, 2, 1], comment="First remark")
    scored_review(application, other_reviewer, [3, 4, 5, 4, 3], comment="Second remark")
    client.force_login(grant_staff_user)
    html = client.get(
        reverse("admin:grants_application_change", args=[application.pk])
    ).content.decode()
    assert "First remark" in html and "Second remark" in html
    assert "17.00 / 25" in html
    assert "Average of 2 reviews" in html


def test_it_lets_staff_assign_through_the_admin(
    client, application, grant_staff_user, reviewer_user
):
    client.force_login(grant_staff_user)
    url = reverse("admin:grants_application_assign", args=[application.pk])
    response = client.post(url, {"reviewer": reviewer_user.pk})
    assert response.status_code == 302
    assert Review.objects.filter(application=application, reviewer=reviewer_user).exists()
    response = client.post(url, {"reviewer": reviewer_user.pk})
    assert response.status_code == 200  # no longer in the list of choices
    assert "Select a valid choice" in response.content.decode()


def test_it_refuses_the_assign_page_to_a_reviewer(client, application, reviewer_user):
    Review.objects.create(application=application, reviewer=reviewer_user,
                          conflict=Review.Conflict.NONE)
    client.force_login(reviewer_user)
    response = client.get(reverse("admin:grants_application_assign", args=[application.pk]))
    assert response.status_code == 403
