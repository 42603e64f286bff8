"""Email a staff account its one-time enrolment link (the first administrator's way in).

    manage.py createsuperuser --username alice --email alice@example.org --noinput
    manage.py send_enrolment_link alice
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.formats import date_format

from cswb.accounts import services


class Command(BaseCommand):
    help = "Email a staff account a one-time link to choose its password and add a second factor."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active account is called {username!r}.")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not a staff account.")
        try:
            enrolment = services.enrolment_send(user=user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        expires = date_format(timezone.localtime(enrolment.expires_at), "DATETIME_FORMAT")
        self.stdout.write(
            f"Enrolment link emailed to {user.email}; it works once, until {expires} "
            "(Toronto time)."
        )
