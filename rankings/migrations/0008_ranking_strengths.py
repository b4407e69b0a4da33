"""How much better each tier of a ranking is than the next; rankings submitted before hold none."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("rankings", "0007_agreement_band_newest"),
    ]

    operations = [
        migrations.AddField(
            model_name="ranking",
            name="strengths",
            field=models.JSONField(blank=True, db_default=[], default=list),
        ),
    ]
