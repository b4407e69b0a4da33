from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0008_lease_function_skips_paused_trainers"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="revise_minutes",
            field=models.PositiveIntegerField(
                db_default=60,
                default=60,
                help_text="How long after submitting a trainer may revise a ranking, while its comparison still waits "
                "for other trainers' rankings. 0: rankings cannot be revised.",
                verbose_name="minutes to revise a ranking",
            ),
        ),
    ]
