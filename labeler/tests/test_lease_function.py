"""The queue's functions in PostgreSQL are the ones in the newest file of each versioned family."""

import re
from pathlib import Path

import pytest
from django.db import connection

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
FUNCTION = re.compile(r"CREATE OR REPLACE FUNCTION (\w+)\(.*?\nAS \$\$(.*?)\$\$;", re.DOTALL)
FAMILIES = {
    "lease_next": {"ranklab_open_to_trainer", "ranklab_lease_next"},
    "waiting_count": {"ranklab_waiting_count"},
}


def newest_file(family: str) -> Path:
    return max(SQL_DIR.glob(f"{family}_v*.sql"), key=lambda path: int(path.stem.removeprefix(f"{family}_v")))


@pytest.mark.parametrize("family", FAMILIES)
def test_a_migration_installs_the_newest_file(family):
    installed = {
        name for path in MIGRATIONS_DIR.glob("0*.py") for name in re.findall(rf"{family}_v\d+\.sql", path.read_text())
    }
    assert newest_file(family).name in installed


@pytest.mark.django_db
@pytest.mark.parametrize("family", FAMILIES)
def test_the_database_runs_the_newest_file(family):
    functions = FUNCTION.findall(newest_file(family).read_text())
    assert {name for name, _ in functions} == FAMILIES[family]
    with connection.cursor() as cursor:
        for name, body in functions:
            cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = %s", [name])
            assert cursor.fetchall() == [(body,)], (
                f"{name} in the database is not the one in {newest_file(family).name}"
            )
