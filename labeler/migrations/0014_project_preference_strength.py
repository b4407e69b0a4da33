"""Preference strength, off by default; the margins of slightly, clearly and much better default to 1, 2, 3."""

import labeler.strength
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0013_queue_order_and_score"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="collect_strength",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="For each rank and the next, trainers also say how much better it is: slightly, clearly or much.",
                verbose_name="collect preference strength",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="strength_margins",
            field=models.JSONField(
                blank=True, db_default=[1.0, 2.0, 3.0], default=labeler.strength.default_strength_margins
            ),
        ),
    ]
