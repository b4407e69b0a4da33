import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0012_browse_indexes"),
        ("rankings", "0003_ranking_revised_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="ComparisonAgreement",
            fields=[
                (
                    "comparison",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="agreement_figure",
                        serialize=False,
                        to="labeler.comparison",
                    ),
                ),
                (
                    "exact",
                    models.FloatField(
                        help_text="Share of the annotator pairs' judged pairs that agree exactly.", null=True
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="labeler.project",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["project", "exact"], name="comparison_agreement_band_idx")],
            },
        ),
        migrations.AddIndex(
            model_name="ranking",
            index=models.Index(fields=["trainer", "comparison"], name="ranking_trainer_comparison_idx"),
        ),
    ]
