"""The queue order option, the comparisons' queue score, and labeler/sql/lease_next_v3.sql that reads them.

Comparisons ranked before this have a stale score (its count, 0, is not theirs): the background
refresh of queue scores recomputes them.
"""

from pathlib import Path

from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
V2_SIGNATURE = "ranklab_lease_next(bigint, bigint, integer, integer, integer, integer, boolean)"
V3_SIGNATURE = "ranklab_lease_next(bigint, bigint, integer, integer, integer, integer, boolean, text)"


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {V2_SIGNATURE}")
        schema_editor.execute((SQL_DIR / "lease_next_v3.sql").read_text())


def _restore_v2(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {V3_SIGNATURE}")
        schema_editor.execute((SQL_DIR / "lease_next_v2.sql").read_text())


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0012_browse_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="comparison",
            name="queue_score",
            field=models.FloatField(db_default=1.0, default=1.0),
        ),
        migrations.AddField(
            model_name="comparison",
            name="queue_score_rankings",
            field=models.IntegerField(db_default=0, default=0),
        ),
        migrations.AddField(
            model_name="project",
            name="queue_order",
            field=models.CharField(
                choices=[("oldest", "Oldest first"), ("informative", "Most informative first")],
                db_default="oldest",
                default="oldest",
                help_text="Oldest first: partly ranked comparisons, then the oldest, so comparisons complete one after another. Most informative first: the comparison whose order is least certain, so fewer rankings reach the same consensus; every comparison gets its first ranking before any gets a second.",
                max_length=12,
            ),
        ),
        migrations.AddIndex(
            model_name="comparison",
            index=models.Index(
                models.F("project"),
                models.OrderBy(models.F("queue_score"), descending=True),
                models.F("created_at"),
                models.F("id"),
                condition=models.Q(("status", "ready")),
                name="comparison_ready_score_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="comparison",
            index=models.Index(
                condition=models.Q(
                    ("status", "ready"), models.Q(("queue_score_rankings", models.F("rankings_count")), _negated=True)
                ),
                fields=["project"],
                name="comparison_stale_score_idx",
            ),
        ),
        migrations.RunPython(_install, _restore_v2, elidable=False),
    ]
