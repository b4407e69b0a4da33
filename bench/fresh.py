"""Where every benchmark starts: an empty PostgreSQL database, migrated, with Django set up on it."""

import os
import urllib.parse


def recreate_database(database_url: str) -> None:
    """Drop the URL's database (closing its connections) and create it empty."""
    import psycopg

    name = urllib.parse.urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def django_on_fresh_database(database_url: str, *, redis_url: str = "", **environment: str) -> None:
    """The settings with DEBUG off, on a new, migrated database.

    Without `redis_url` the cache is the database's (its table is created), as `make run` has it.
    `environment` holds further settings variables, e.g. a broker for the bench alone.
    """
    recreate_database(database_url)
    django_on_database(database_url, redis_url=redis_url, **environment)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not redis_url:
        call_command("createcachetable", verbosity=0)


def django_on_database(database_url: str, *, redis_url: str = "", **environment: str) -> None:
    """The settings with DEBUG off, on a database as it is (a second process of a benchmark)."""
    # Benchmarks talk only to servers they start on this machine, on ports of their own.
    os.environ.setdefault("RANKLAB_OUTBOUND_ALLOW", "127.0.0.1")
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        REDIS_URL=redis_url,
        **environment,
    )
    import django

    django.setup()
