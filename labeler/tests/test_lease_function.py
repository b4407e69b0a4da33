"""The lease function in PostgreSQL is the one in the newest versioned file."""

import re
from pathlib import Path

import pytest
from django.db import connection

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(.*?\nAS \$\$(.*?)\$\$;", re.DOTALL)


def newest_lease_file() -> Path:
    return max(SQL_DIR.glob("lease_next_v*.sql"), key=lambda path: int(path.stem.removeprefix("lease_next_v")))


def test_a_migration_installs_the_newest_lease_file():
    installed = {
        name for path in MIGRATIONS_DIR.glob("0*.py") for name in re.findall(r"lease_next_v\d+\.sql", path.read_text())
    }
    assert newest_lease_file().name in installed


@pytest.mark.django_db
def test_the_database_runs_the_newest_lease_file():
    functions = FUNCTION.findall(newest_lease_file().read_text())
    assert {name for name, _ in functions} == {"ranklab_open_to_trainer", "ranklab_lease_next"}
    with connection.cursor() as cursor:
        for name, body in functions:
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
            assert cursor.fetchall() == [(body,)], (
                f"{name} in the database is not the one in {newest_lease_file().name}"
            )
