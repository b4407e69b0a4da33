from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0002_red_team"),
    ]

    operations = [
        migrations.AddField(
            model_name="ranking",
            name="revised_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="ranking",
            index=models.Index(
                condition=models.Q(revised_at__isnull=False), fields=["-revised_at"], name="ranking_revised_idx"
            ),
        ),
    ]
