"""`ranklab_lease_next` from labeler/sql/lease_next_v2.sql: a paused trainer takes nothing."""

from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "lease_next_v2.sql").read_text())


def _restore_v1(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute((SQL_DIR / "lease_next_v1.sql").read_text())


class Migration(migrations.Migration):
    dependencies = [("labeler", "0007_invitations_and_paused_members")]

    operations = [migrations.RunPython(_install, _restore_v1, elidable=False)]
