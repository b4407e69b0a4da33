"""Root of the test suite: checks the real services first, then lists the fixture modules."""

import socket
from urllib.parse import urlsplit

import pytest

pytest_plugins = [
    "labeler.tests.fixtures",
    "labeler.tests.model_server",
    "labeler.tests.celery_worker",
    "labeler.tests.redis_server",
    "labeler.tests.browser",
    "safety.tests.moderation_server",
    "rankings.tests.chat_browser",
]


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail at once, in one line, when a service the suite needs is not running."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The suite runs against PostgreSQL: set DATABASE_URL=postgres://…", returncode=3)
    db_url = f"postgres://{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    if not _reachable(db_url, 5432):
        pytest.exit(
            f"PostgreSQL is not reachable at {db_url}: start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
            returncode=3,
        )
    if not _reachable(settings.REDIS_URL, 6379):
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL}: start it with "
            "`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''`",
            returncode=3,
        )
