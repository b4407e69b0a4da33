"""`ranklab_lease_next` from its versioned file, labeler/sql/lease_next_v1.sql.

The function is the one 0002 installed, its queue rule now written once as
`ranklab_open_to_trainer`. A later change of the rule adds lease_next_v2.sql and a migration
like this one; the files, like migrations, are never edited once landed.
"""

import importlib
from pathlib import Path

from django.db import migrations

SQL_FILE = Path(__file__).resolve().parent.parent / "sql" / "lease_next_v1.sql"


def _install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL_FILE.read_text())


def _restore_0002(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        previous = importlib.import_module("labeler.migrations.0002_lease_function")
        schema_editor.execute(previous.CREATE)
        schema_editor.execute(
            "DROP FUNCTION IF EXISTS ranklab_open_to_trainer(bigint, integer, bigint, integer, timestamptz);"
        )


class Migration(migrations.Migration):
    dependencies = [("labeler", "0002_lease_function")]

    operations = [migrations.RunPython(_install, _restore_0002, elidable=False)]
