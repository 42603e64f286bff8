from datetime import timedelta

from django.db import migrations, models


def lease_existing_claims(apps, schema_editor):
    """Give claims made before leases were stored the ten minutes they were then allowed."""
    Message = apps.get_model("outbox", "Message")
    Message.objects.filter(state="sending", lease_until__isnull=True).update(
        lease_until=models.F("claimed_at") + timedelta(minutes=10)
    )


class Migration(migrations.Migration):

    dependencies = [
        ("outbox", "0003_claim_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="lease_until",
            field=models.DateTimeField(
                blank=True,
                help_text="When the claim ends: a message still being sent then belongs to a "
                "worker that stopped, and the next sweep gives it to another.",
                null=True,
                verbose_name="claimed until",
            ),
        ),
        migrations.RemoveIndex(
            model_name="message",
            name="outbox_state_claimed_idx",
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["state", "lease_until"], name="outbox_state_lease_idx"),
        ),
        migrations.RunPython(lease_existing_claims, migrations.RunPython.noop),
    ]
