from django.db import migrations

# What load_reference_data made up before facts and demonstration were apart. Installs that loaded
# it then (production ones too) hold the open intake unflagged, hidden from check --deploy and
# --remove-demo, and the 2023 intake with a scoring process Halton never published. Rows staff
# changed since are left alone.
DEMONSTRATION_SLUG = "demonstration-intake"
FIRST_INTAKE_SLUG = "2023-intake"
FACTS = (
    "The grant funds community programs in Halton that work upstream of gun and gang "
    "violence: they reach children, youth and young adults who are at risk of being drawn into "
    "gangs, or who already are, and strengthen what keeps them safe. Programs may run for one "
    "or two years."
)
MADE_UP_PROCESS = (
    " Applications are screened for eligibility, scored by a review panel on need, "
    "program design, evaluation, capacity and budget, and decided by Halton Region staff."
)
MADE_UP_CRITERIA = [
    ("Need", "Evidence that the participants face the risks the fund targets, here in Halton."),
    ("Program design", "Activities that fit the participants and address the risks named."),
    ("Evaluation", "Outcomes that can be measured, with a realistic plan to measure them."),
    ("Capacity", "The organization and its partners can deliver the program as planned."),
    ("Budget", "Costs are reasonable, complete and tied to the activities."),
]


def flag_the_demonstration_round(apps, schema_editor):
    Round = apps.get_model("grants", "Round")
    Round.objects.filter(slug=DEMONSTRATION_SLUG).update(is_demo=True)


def keep_the_first_intake_to_facts(apps, schema_editor):
    Round = apps.get_model("grants", "Round")
    Criterion = apps.get_model("grants", "Criterion")
    Round.objects.filter(slug=FIRST_INTAKE_SLUG, guidelines=FACTS + MADE_UP_PROCESS).update(
        guidelines=FACTS
    )
    for name, description in MADE_UP_CRITERIA:
        Criterion.objects.filter(
            round__slug=FIRST_INTAKE_SLUG, name=name, description=description,
            scores__isnull=True,
        ).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("grants", "0003_round_is_demo"),
    ]

    operations = [
        migrations.RunPython(flag_the_demonstration_round, migrations.RunPython.noop),
        migrations.RunPython(keep_the_first_intake_to_facts, migrations.RunPython.noop),
    ]
