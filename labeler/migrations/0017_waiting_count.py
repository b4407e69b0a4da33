"""labeler/sql/waiting_count_v1.sql: the count of comparisons waiting for a trainer, in one call."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "waiting_count_v1.sql").read_text())


def _remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS ranklab_waiting_count(bigint, bigint, integer, integer)")


class Migration(migrations.Migration):
    dependencies = [
        ("labeler", "0016_project_rubric"),
    ]

    operations = [
        migrations.RunPython(_install, _remove, elidable=False),
    ]
