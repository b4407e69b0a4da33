import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0010_project_length_preference_bar"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="length_words",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Ask every endpoint for answers of about this many words (an instruction added to the request).",
                null=True,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="answer length in words",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="length_max_tokens",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="Cap every candidate at this many tokens (below an endpoint's own limit).",
                null=True,
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="most tokens per candidate",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="length_resample_ratio",
            field=models.FloatField(
                blank=True,
                help_text="Resample the longest candidate once when it is more than this many times the median length of the others (characters); the shorter of its two answers is kept.",
                null=True,
                validators=[django.core.validators.MinValueValidator(1.0)],
                verbose_name="resample the longest above",
            ),
        ),
    ]
