"""Who may do what with grants.

Model permissions per role are declared in ``ROLE_PERMISSIONS``; the object rules below decide
on each application: grant staff see and run everything, a reviewer sees only the applications
assigned to them on which they declared no conflict, and nobody else sees any application.
The applicant has no account: their signed private link is checked in the views.
"""

from cswb.accounts.roles import Role, has_role
from grants.workflow import ACTIVE_STATES, State

ROLE_PERMISSIONS = {
    Role.GRANT_STAFF: [
        "grants.view_fund",
        "grants.add_fund",
        "grants.change_fund",
        "grants.view_round",
        "grants.add_round",
        "grants.change_round",
        "grants.view_criterion",
        "grants.add_criterion",
        "grants.change_criterion",
        "grants.delete_criterion",
        "grants.view_application",
        "grants.change_application",
        "grants.view_review",
        "grants.add_review",
        "grants.view_award",
        "grants.view_report",
        "grants.change_report",
        "grants.view_event",
        "grants.view_attachment",
    ],
    Role.GRANT_REVIEWER: [
        "grants.view_application",
        "grants.view_review",
        "grants.change_review",
        "grants.view_attachment",
    ],
}


def is_grant_staff(user) -> bool:
    """Grant staff, and CSWB administrators, who may do everything."""
    return has_role(user, Role.GRANT_STAFF, Role.ADMINISTRATOR)


def is_reviewer(user) -> bool:
    return has_role(user, Role.GRANT_REVIEWER)


def _review_of(user, application):
    if not is_reviewer(user):
        return None
    return application.reviews.filter(reviewer=user).first()


def can_manage_grants(user, obj=None) -> bool:
    """Funds, rounds, screening, assignments and decisions belong to grant staff."""
    return is_grant_staff(user)


def can_view_application(user, application) -> bool:
    if is_grant_staff(user):
        return True
    review = _review_of(user, application)
    return review is not None and review.conflict == review.Conflict.NONE


def can_assign_reviewers(user, application) -> bool:
    return is_grant_staff(user) and application.state == State.IN_REVIEW


def can_review(user, review) -> bool:
    """Return True when ``user`` may declare and score on ``review``: their own, still open."""
    return (
        is_reviewer(user)
        and review.reviewer_id == user.pk
        and review.application.state == State.IN_REVIEW
        and review.conflict != review.Conflict.DECLARED
    )


def can_view_review(user, review) -> bool:
    return is_grant_staff(user) or (is_reviewer(user) and review.reviewer_id == user.pk)


def can_see_all_scores(user, application) -> bool:
    """Staff always; a reviewer only once their own scores are in and without a conflict."""
    if is_grant_staff(user):
        return True
    review = _review_of(user, application)
    return (
        review is not None
        and review.conflict == review.Conflict.NONE
        and review.submitted_at is not None
    )


def can_download_attachment(user, attachment) -> bool:
    return can_view_application(user, attachment.application)


def applicant_can_edit(application) -> bool:
    return application.state == State.DRAFT


def applicant_can_withdraw(application) -> bool:
    return application.state in ACTIVE_STATES
