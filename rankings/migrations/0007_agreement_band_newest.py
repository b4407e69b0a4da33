"""Each stored agreement figure gets its browser band and its comparison's creation, so that one
index (project, band, newest first) lists a band's comparisons in the browser's order."""

from django.db import migrations, models

# The bands as rankings/comparison_agreement.py has them when this migration was written.
FILL = """
UPDATE rankings_comparisonagreement SET
    band = CASE WHEN exact IS NULL THEN '' WHEN exact < 0.5 THEN 'low' WHEN exact < 0.8 THEN 'medium' ELSE 'high' END,
    created_at = (
        SELECT comparison.created_at FROM labeler_comparison comparison
        WHERE comparison.id = rankings_comparisonagreement.comparison_id
    )
"""


class Migration(migrations.Migration):

    dependencies = [
        ('labeler', '0012_browse_indexes'),
        ('rankings', '0006_comparison_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='comparisonagreement',
            name='band',
            field=models.CharField(blank=True, max_length=10),
        ),
        migrations.AddField(
            model_name='comparisonagreement',
            name='created_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
        migrations.AddIndex(
            model_name='comparisonagreement',
            index=models.Index(fields=['project', 'band', '-created_at', '-comparison'], name='agreement_band_newest_idx'),
        ),
    ]
