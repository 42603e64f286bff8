from celery import shared_task

from issues import services


@shared_task
def remove_expired_contact_details() -> int:
    """Clear residents' contact details once their issue has been closed long enough."""
    return services.issues_remove_expired_contacts()
