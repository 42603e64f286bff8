import pytest

from cswb.testing.worker import wait_for
from grants import services
from grants.tests.factories import ApplicationFactory


@pytest.mark.worker
def test_it_delivers_the_acknowledgement_and_staff_notice_through_a_real_worker(
    celery_worker, smtp_sink, grant_staff_user
):
    application = services.application_submit(application=ApplicationFactory())
    wait_for(lambda: len(smtp_sink.messages) == 2, what="both emails to reach the sink")
    by_recipient = {m["To"]: m["Subject"] for m in smtp_sink.messages}
    assert by_recipient[application.contact_email] == (
        f"Application {application.reference} received"
    )
    assert by_recipient[grant_staff_user.email] == (
        f"New grant application {application.reference}"
    )
