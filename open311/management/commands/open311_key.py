"""Make, list and revoke the keys of calling systems from the command line."""

from django.core.management.base import BaseCommand, CommandError

from open311 import services
from open311.models import ApiKey


class Command(BaseCommand):
    help = (
        "Make a key for a calling system (`create NAME`: the key is printed on the last line, "
        "once), list keys (`list`), or revoke one (`revoke PREFIX`)."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="Make a key and print it once.")
        create.add_argument("name", help="The calling system, e.g. 'Halton 311 CRM'.")
        create.add_argument("--contact-name", default="")
        create.add_argument("--contact-email", default="")
        create.add_argument("--hourly-limit", type=int, default=None)
        commands.add_parser("list", help="List keys with their state.")
        revoke = commands.add_parser("revoke", help="Revoke the key starting with PREFIX.")
        revoke.add_argument("prefix")

    def handle(self, *args, command, **options):
        if command == "create":
            return self._create(**options)
        if command == "list":
            for key in ApiKey.objects.all():
                state = "revoked" if key.revoked_at else "active"
                used = key.last_used_at.isoformat() if key.last_used_at else "never"
                self.stdout.write(f"{key.prefix}…  {state:8} last used {used}  {key.name}")
            return None
        keys = list(ApiKey.objects.filter(prefix=options["prefix"]))
        if len(keys) != 1:
            raise CommandError(f"{len(keys)} keys start with {options['prefix']!r}; need one.")
        if not services.key_revoke(key=keys[0], by=None):
            raise CommandError("That key was already revoked.")
        self.stdout.write(f"Revoked {keys[0]}.")
        return None

    def _create(self, *, name, contact_name, contact_email, hourly_limit, **_options):
        from django.core.exceptions import ValidationError

        try:
            key, raw = services.key_create(
                name=name, contact_name=contact_name, contact_email=contact_email,
                hourly_limit=hourly_limit,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"Made a key for {key.name} (starts {key.prefix}…).")
        self.stdout.write("Give it to the system's contact now: only its hash is kept.")
        self.stdout.write(raw)
